using System.Linq;
using PromptCache.Generators.Tokens;

namespace PromptCache.Generators.Emit;

/// <summary>
/// Writes a schema class's nested <c>Tokens</c> class: the token-exact layout computed at build time with the
/// project's tokenizer, as constants (so call sites and analyzers can use them) and as a
/// <c>BuildTimeLayout</c> the runtime compares with its own binding for the loaded model.
/// </summary>
internal static class TokensEmitter
{
    /// <summary>Writes the class into <paramref name="w"/>.</summary>
    public static void Emit(IndentedWriter w, TokenLayoutModel tokens)
    {
        w.Line();
        w.Summary("Token-exact positions computed at build time with the project's tokenizer (<c>PromptCacheTokenizer</c>).");
        using (w.Block("public static class Tokens"))
        {
            w.Summary("The content hash of the tokenizer.json the layout was computed with (SHA-256 of its text, LF line endings).");
            w.Line("public const string TokenizerHash = " + CSharpLiterals.String(tokens.TokenizerHash) + ";");
            if (tokens.ContextLength is int contextLength)
            {
                w.Line();
                w.Summary("The model context length the schema was checked against.");
                w.Line("public const int ContextLength = " + Int(contextLength) + ";");
            }

            w.Line();
            w.Summary("The schema's length in tokens; a request's suffix starts here.");
            w.Line("public const int TotalLength = " + Int(tokens.TotalLength) + ";");
            foreach (var constant in tokens.Constants)
            {
                w.Line();
                w.Summary(CSharpLiterals.XmlDoc(constant.Doc));
                w.Line("public const int " + constant.Name + " = " + Int(constant.Value) + ";");
            }

            w.Line();
            w.Summary("Every layout element's offset and length, for the runtime's check against its own binding.");
            w.Line("public static global::PromptCache.Pml.Layout.BuildTimeLayout Layout { get; } = new global::PromptCache.Pml.Layout.BuildTimeLayout(");
            using (w.Indent())
            {
                w.Line("TokenizerHash,");
                w.Line("TotalLength,");
                w.Line("new int[] { " + string.Join(", ", tokens.Offsets.Select(Int)) + " },");
                w.Line("new int[] { " + string.Join(", ", tokens.Lengths.Select(Int)) + " });");
            }
        }
    }

    private static string Int(int value) => CSharpLiterals.Int(value);
}
