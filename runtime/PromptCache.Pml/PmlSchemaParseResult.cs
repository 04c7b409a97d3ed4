using System;
using PromptCache.Pml.Syntax;

namespace PromptCache.Pml
{
    /// <summary>The outcome of <see cref="PmlParser.ParseSchema"/>: a schema (unless unusable) and every diagnostic.</summary>
    public sealed class PmlSchemaParseResult : IEquatable<PmlSchemaParseResult>
    {
        /// <summary>Creates a result.</summary>
        public PmlSchemaParseResult(PmlSchema? schema, EquatableArray<PmlDiagnostic> diagnostics)
        {
            Schema = schema;
            Diagnostics = diagnostics;
        }

        /// <summary>
        /// The schema. Null only when the document is unusable (no root element, or a root that is
        /// not <c>&lt;schema&gt;</c>). With errors it may still be present, built from what could be read.
        /// </summary>
        public PmlSchema? Schema { get; }

        /// <summary>Every diagnostic, in document order.</summary>
        public EquatableArray<PmlDiagnostic> Diagnostics { get; }

        /// <summary>True when any diagnostic is an error.</summary>
        public bool HasErrors => PmlDiagnostic.AnyError(Diagnostics);

        /// <inheritdoc/>
        public bool Equals(PmlSchemaParseResult? other) =>
            other is not null && Equals(Schema, other.Schema) && Diagnostics.Equals(other.Diagnostics);

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as PmlSchemaParseResult);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCombiner.Combine(Schema?.GetHashCode() ?? 0, Diagnostics.GetHashCode());
    }
}
