using System.Reflection;
using PromptCache.Pml.Layout;

namespace PromptCache.Engine;

/// <summary>
/// A schema's PML text and the files its modules' <c>src</c> attributes name: from a generated class
/// (<c>TravelPrompt.PmlSource</c>, <c>TravelPrompt.SourceFiles</c>, or an entry of the generated
/// <c>PromptSchemaRegistry</c>) or from a .pml file loaded at run time.
/// </summary>
public sealed class PromptSchemaSource
{
    private readonly Func<string, string?> _resolve;

    /// <summary>Creates a source from text.</summary>
    /// <param name="pmlSource">The schema's PML text.</param>
    /// <param name="fileName">Its file name, used in error locations.</param>
    /// <param name="sourceFiles">The <c>src</c> files' text, keyed by the path as written in the schema.</param>
    public PromptSchemaSource(string pmlSource, string fileName, IReadOnlyDictionary<string, string>? sourceFiles = null)
        : this(pmlSource, fileName, path => sourceFiles is not null && sourceFiles.TryGetValue(path, out var text) ? text : null)
    {
    }

    private PromptSchemaSource(string pmlSource, string fileName, Func<string, string?> resolve)
    {
        PmlSource = pmlSource ?? throw new ArgumentNullException(nameof(pmlSource));
        FileName = fileName ?? "";
        _resolve = resolve;
    }

    /// <summary>The PML text.</summary>
    public string PmlSource { get; }

    /// <summary>The file name for error locations.</summary>
    public string FileName { get; }

    /// <summary>Reads a .pml file; <c>src</c> paths resolve relative to its folder.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static PromptSchemaSource FromFile(string path)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        string text = File.ReadAllText(full).Replace("\r\n", "\n");
        return new PromptSchemaSource(text, full, src =>
        {
            string file = Path.Combine(folder, src);
            return File.Exists(file) ? File.ReadAllText(file) : null;
        });
    }

    /// <summary>
    /// The token layout the source generator computed at build time (the generated class's <c>Tokens.Layout</c>,
    /// present when the project named its tokenizer), or null. When set, warming checks that the loaded model's
    /// tokenizer lays the schema out the same way and fails with a <see cref="PromptCacheException"/> otherwise,
    /// so the generated <c>Tokens.*Offset</c> constants can be trusted.
    /// </summary>
    public BuildTimeLayout? BuildTimeLayout { get; init; }

    /// <summary>
    /// Reads <c>Tokens.Layout</c> from a generated schema class (<c>PromptSchemaCatalogEntry.PromptType</c>);
    /// null when the class has none (its project named no tokenizer).
    /// </summary>
    /// <param name="promptType">The generated schema class.</param>
    public static BuildTimeLayout? BuildTimeLayoutOf(Type promptType)
    {
        ArgumentNullException.ThrowIfNull(promptType);
        var property = promptType.GetNestedType("Tokens", BindingFlags.Public)?.GetProperty("Layout", BindingFlags.Public | BindingFlags.Static);
        return property?.GetValue(null) as BuildTimeLayout;
    }

    internal string? Resolve(string src) => _resolve(src);
}
