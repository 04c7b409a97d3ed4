using PromptCache.Pml.Syntax;

namespace PromptCache.Pml.Parsing
{
    internal static class PromptParser
    {
        public static PmlPromptParseResult Parse(string text, string filePath, PmlSchema? schema)
        {
            return new PmlPromptParseResult(null, EquatableArray<PmlDiagnostic>.Empty);
        }
    }
}
