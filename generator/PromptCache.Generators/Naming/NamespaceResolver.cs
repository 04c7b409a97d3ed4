using System;
using System.Collections.Generic;

namespace PromptCache.Generators.Naming;

/// <summary>
/// Decides the namespace of a schema's generated class: the item's <c>Namespace</c> metadata when given,
/// otherwise <c>RootNamespace</c> plus the .pml file's folder relative to the project (the convention of
/// embedded resources and of the SDK's default namespaces for new files).
/// </summary>
internal static class NamespaceResolver
{
    /// <summary>Returns the namespace, or an empty string for the global namespace.</summary>
    public static string Resolve(string filePath, string? projectDir, string? rootNamespace, string? namespaceOverride)
    {
        if (!string.IsNullOrWhiteSpace(namespaceOverride))
        {
            return namespaceOverride!.Trim();
        }

        var segments = new List<string>();
        if (!string.IsNullOrWhiteSpace(rootNamespace))
        {
            segments.Add(rootNamespace!.Trim());
        }

        foreach (var folder in RelativeFolders(filePath, projectDir))
        {
            segments.Add(IdentifierNames.NamespaceSegment(folder));
        }

        return string.Join(".", segments);
    }

    /// <summary>The folders between the project directory and the file; none when the file lies outside the project.</summary>
    private static IEnumerable<string> RelativeFolders(string filePath, string? projectDir)
    {
        if (string.IsNullOrWhiteSpace(projectDir))
        {
            yield break;
        }

        var file = Normalize(filePath);
        var root = Normalize(projectDir!);
        if (!root.EndsWith("/", StringComparison.Ordinal))
        {
            root += "/";
        }

        // Windows paths compare case-insensitively; on Linux a case mismatch means "outside the project".
        var comparison = root.Length > 1 && root[1] == ':' ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (!file.StartsWith(root, comparison))
        {
            yield break;
        }

        var parts = file.Substring(root.Length).Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length - 1; i++)
        {
            yield return parts[i];
        }
    }

    private static string Normalize(string path) => path.Replace('\\', '/');
}
