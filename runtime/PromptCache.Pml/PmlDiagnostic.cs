using System;
using System.Globalization;

namespace PromptCache.Pml
{
    /// <summary>One problem found in a schema or a prompt. The parser returns these as values; it never throws.</summary>
    public sealed class PmlDiagnostic : IEquatable<PmlDiagnostic>
    {
        /// <summary>Creates a diagnostic from its parts.</summary>
        public PmlDiagnostic(string id, PmlSeverity severity, string message, PmlLocation location)
        {
            Id = id;
            Severity = severity;
            Message = message;
            Location = location ?? PmlLocation.None;
        }

        /// <summary>Creates a diagnostic from a catalog entry, formatting its message with <paramref name="args"/>.</summary>
        public static PmlDiagnostic Create(PmlDiagnosticDescriptor descriptor, PmlLocation location, params object?[] args)
        {
            string message = args is null || args.Length == 0
                ? descriptor.MessageFormat
                : string.Format(CultureInfo.InvariantCulture, descriptor.MessageFormat, args);
            return new PmlDiagnostic(descriptor.Id, descriptor.Severity, message, location);
        }

        /// <summary>The catalog ID, e.g. <c>PCG0001</c>.</summary>
        public string Id { get; }

        /// <summary>How serious it is.</summary>
        public PmlSeverity Severity { get; }

        /// <summary>The formatted message.</summary>
        public string Message { get; }

        /// <summary>Where it is.</summary>
        public PmlLocation Location { get; }

        /// <summary>True for <see cref="PmlSeverity.Error"/>.</summary>
        public bool IsError => Severity == PmlSeverity.Error;

        /// <summary>True when any of <paramref name="diagnostics"/> is an error.</summary>
        public static bool AnyError(EquatableArray<PmlDiagnostic> diagnostics)
        {
            foreach (var d in diagnostics)
            {
                if (d.IsError)
                    return true;
            }
            return false;
        }

        /// <inheritdoc/>
        public bool Equals(PmlDiagnostic? other) =>
            other is not null && Id == other.Id && Severity == other.Severity && Message == other.Message && Location.Equals(other.Location);

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as PmlDiagnostic);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCombiner.Combine(Id.GetHashCode(), (int)Severity, Message.GetHashCode(), Location.GetHashCode());

        /// <summary>The MSBuild line: <c>path(line,col): error PCG0001: message</c>.</summary>
        public override string ToString()
        {
            string severity = Severity switch
            {
                PmlSeverity.Error => "error",
                PmlSeverity.Warning => "warning",
                _ => "info",
            };
            return Location.ToString() + ": " + severity + " " + Id + ": " + Message;
        }
    }
}
