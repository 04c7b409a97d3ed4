namespace PromptCache.Generators.Emit;

/// <summary>
/// Line-ending normalisation of the embedded PML. The parser hashes with "\n" endings too, so the embedded
/// source, its hash and the generated file are the same on a CRLF (Windows) checkout and an LF one.
/// </summary>
internal static class LineEndings
{
    /// <summary>Normalises "\r\n" and lone "\r" to "\n".</summary>
    public static string Normalize(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n');
}
