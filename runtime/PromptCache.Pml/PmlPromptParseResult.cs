using System;
using PromptCache.Pml.Requests;

namespace PromptCache.Pml
{
    /// <summary>The outcome of <see cref="PmlParser.ParsePrompt"/>: a request (unless unusable) and every diagnostic.</summary>
    public sealed class PmlPromptParseResult : IEquatable<PmlPromptParseResult>
    {
        /// <summary>Creates a result.</summary>
        public PmlPromptParseResult(PromptRequest? request, EquatableArray<PmlDiagnostic> diagnostics)
        {
            Request = request;
            Diagnostics = diagnostics;
        }

        /// <summary>The request; null when the document is unusable (no <c>&lt;prompt&gt;</c> root).</summary>
        public PromptRequest? Request { get; }

        /// <summary>Every diagnostic, in document order.</summary>
        public EquatableArray<PmlDiagnostic> Diagnostics { get; }

        /// <summary>True when any diagnostic is an error.</summary>
        public bool HasErrors => PmlDiagnostic.AnyError(Diagnostics);

        /// <inheritdoc/>
        public bool Equals(PmlPromptParseResult? other) =>
            other is not null && Equals(Request, other.Request) && Diagnostics.Equals(other.Diagnostics);

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as PmlPromptParseResult);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCombiner.Combine(Request?.GetHashCode() ?? 0, Diagnostics.GetHashCode());
    }
}
