using System;
using PromptCache.Pml.Layout;
using PromptCache.Pml.Parsing;
using PromptCache.Pml.Syntax;

namespace PromptCache.Pml
{
    /// <summary>
    /// Entry points of the PML parser. Both methods never throw for any input: every problem is
    /// returned as a <see cref="PmlDiagnostic"/> with its file, line and column.
    /// </summary>
    public static class PmlParser
    {
        /// <summary>Parses a schema document.</summary>
        /// <param name="text">The PML text.</param>
        /// <param name="filePath">The file's path, used in locations and passed back to <paramref name="resolveSource"/>.</param>
        /// <param name="resolveSource">
        /// Loads a module's <c>src</c>: receives the attribute's path (relative to the .pml file) and returns
        /// the file's text, or null when it does not exist. Without a resolver, <c>src</c> is not loaded
        /// and not checked (the module then has no content).
        /// </param>
        public static PmlSchemaParseResult ParseSchema(string text, string filePath, Func<string, string?>? resolveSource = null)
        {
            try
            {
                return SchemaParser.Parse(text ?? string.Empty, filePath ?? string.Empty, resolveSource);
            }
            catch (Exception ex)
            {
                // A bug must not crash the compiler or the service: report it at the start of the file.
                return new PmlSchemaParseResult(null, EquatableArray.Create(
                    PmlDiagnostic.Create(PmlDiagnostics.GeneratorInternalError, StartOf(filePath), ex.GetType().Name + ": " + ex.Message)));
            }
        }

        /// <summary>Parses a <c>&lt;prompt&gt;</c> document into a <see cref="Requests.PromptRequest"/>.</summary>
        /// <param name="text">The PML text.</param>
        /// <param name="filePath">The file's path for locations (may be empty).</param>
        /// <param name="schema">When given, the request is also validated against it, with locations in the prompt.</param>
        /// <param name="tokenCounter">With <paramref name="schema"/>: also check that every argument fits its slot.</param>
        public static PmlPromptParseResult ParsePrompt(string text, string filePath, PmlSchema? schema = null, ITokenCounter? tokenCounter = null)
        {
            try
            {
                return PromptParser.Parse(text ?? string.Empty, filePath ?? string.Empty, schema, tokenCounter);
            }
            catch (Exception ex)
            {
                return new PmlPromptParseResult(null, EquatableArray.Create(
                    PmlDiagnostic.Create(PmlDiagnostics.GeneratorInternalError, StartOf(filePath), ex.GetType().Name + ": " + ex.Message)));
            }
        }

        private static PmlLocation StartOf(string? filePath) => new PmlLocation(filePath ?? string.Empty, 0, 0, 1, 1, 1, 1);
    }
}
