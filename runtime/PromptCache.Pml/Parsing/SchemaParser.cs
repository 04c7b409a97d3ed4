using System;

namespace PromptCache.Pml.Parsing
{
    internal static class SchemaParser
    {
        public static PmlSchemaParseResult Parse(string text, string filePath, Func<string, string?>? resolveSource)
        {
            return new PmlSchemaParseResult(null, EquatableArray<PmlDiagnostic>.Empty);
        }
    }
}
