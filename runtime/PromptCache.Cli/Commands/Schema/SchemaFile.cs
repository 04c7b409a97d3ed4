using PromptCache.Pml;

namespace PromptCache.Cli.Commands.Schema;

/// <summary>Reads a .pml file from disk and parses it, resolving `src` relative to the file.</summary>
public static class SchemaFile
{
    /// <summary>Parses <paramref name="path"/>; null (with a message on <paramref name="error"/>) when it cannot be read.</summary>
    public static PmlSchemaParseResult? Parse(string path, TextWriter error)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error.WriteLine($"promptcache: cannot read '{path}': {ex.Message}");
            return null;
        }

        string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        return PmlParser.ParseSchema(text, path, src => ReadSource(directory, src));
    }

    private static string? ReadSource(string directory, string src)
    {
        try
        {
            string full = Path.GetFullPath(Path.Combine(directory, src));
            return File.Exists(full) ? File.ReadAllText(full) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null; // reported by the parser as a missing src file, at the attribute
        }
    }
}
