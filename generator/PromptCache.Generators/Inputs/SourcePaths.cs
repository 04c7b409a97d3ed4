using System;
using System.Collections.Generic;

namespace PromptCache.Generators.Inputs;

/// <summary>
/// Path arithmetic for <c>src</c> resolution, done on strings: a generator may not touch the file system
/// (RS1035), and <c>Path.GetFullPath</c> would consult the current directory.
/// </summary>
internal static class SourcePaths
{
    /// <summary>Forward slashes, no "." segments, ".." folded into their parent.</summary>
    public static string Normalize(string path)
    {
        var unified = path.Replace('\\', '/');
        var rooted = unified.StartsWith("/", StringComparison.Ordinal);
        var parts = new List<string>();
        foreach (var part in unified.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == ".." && parts.Count > 0 && parts[parts.Count - 1] != "..")
            {
                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            parts.Add(part);
        }

        return (rooted ? "/" : string.Empty) + string.Join("/", parts);
    }

    /// <summary>Resolves <paramref name="src"/> (as written in the .pml) against the folder of <paramref name="schemaPath"/>.</summary>
    public static string Resolve(string schemaPath, string src)
    {
        var normalizedSrc = src.Replace('\\', '/');
        if (IsRooted(normalizedSrc))
        {
            return Normalize(normalizedSrc);
        }

        var schema = schemaPath.Replace('\\', '/');
        var slash = schema.LastIndexOf('/');
        var folder = slash < 0 ? string.Empty : schema.Substring(0, slash + 1);
        return Normalize(folder + normalizedSrc);
    }

    /// <summary>Windows file systems ignore case; elsewhere a case mismatch is a different file.</summary>
    public static StringComparison ComparisonFor(string path) =>
        path.Length > 1 && path[1] == ':' ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private static bool IsRooted(string path) =>
        path.StartsWith("/", StringComparison.Ordinal) || (path.Length > 1 && path[1] == ':');
}
