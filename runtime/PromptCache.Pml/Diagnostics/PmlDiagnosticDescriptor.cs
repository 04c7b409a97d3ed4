using System;

namespace PromptCache.Pml
{
    /// <summary>
    /// One rule of the PML diagnostic catalog, as plain data. The generator turns each into a Roslyn
    /// DiagnosticDescriptor; the CLI and the runtime print them directly.
    /// </summary>
    public sealed class PmlDiagnosticDescriptor : IEquatable<PmlDiagnosticDescriptor>
    {
        /// <summary>Creates a catalog entry.</summary>
        public PmlDiagnosticDescriptor(string id, string title, string messageFormat, PmlSeverity severity, string category, string helpText)
        {
            Id = id;
            Title = title;
            MessageFormat = messageFormat;
            Severity = severity;
            Category = category;
            HelpText = helpText;
        }

        /// <summary>Stable ID, <c>PCG0001</c> and up.</summary>
        public string Id { get; }

        /// <summary>Short title.</summary>
        public string Title { get; }

        /// <summary>Message with <c>{0}</c>-style placeholders.</summary>
        public string MessageFormat { get; }

        /// <summary>Default severity.</summary>
        public PmlSeverity Severity { get; }

        /// <summary>Category: <c>PML.Syntax</c>, <c>PML.Schema</c>, <c>PML.Layout</c>, <c>PML.Prompt</c> or <c>PML.Generator</c>.</summary>
        public string Category { get; }

        /// <summary>A longer explanation: why the rule exists and how to fix it.</summary>
        public string HelpText { get; }

        /// <inheritdoc/>
        public bool Equals(PmlDiagnosticDescriptor? other) =>
            other is not null && Id == other.Id && Title == other.Title && MessageFormat == other.MessageFormat
            && Severity == other.Severity && Category == other.Category && HelpText == other.HelpText;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as PmlDiagnosticDescriptor);

        /// <inheritdoc/>
        public override int GetHashCode() => Id.GetHashCode();

        /// <inheritdoc/>
        public override string ToString() => Id + ": " + Title;
    }
}
