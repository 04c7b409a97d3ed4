using System;
using System.Collections.Generic;

namespace PromptCache.Pml.Requests
{
    /// <summary>
    /// A prompt request against a schema: which modules are selected (with their arguments) and the
    /// uncached suffix. Generated typed classes build it directly, with no XML at run time; the engine
    /// consumes it. <see cref="ToPml"/> renders the equivalent <c>&lt;prompt&gt;</c> only on demand.
    /// </summary>
    public sealed class PromptRequest : IEquatable<PromptRequest>
    {
        /// <summary>Creates a request.</summary>
        /// <param name="schemaName">The schema's PML name.</param>
        /// <param name="schemaHash">The schema's content hash (see <see cref="Syntax.PmlSchema.ContentHash"/>), or empty when unknown.</param>
        /// <param name="modules">Selected modules in document order; a nested module comes after its parent.</param>
        /// <param name="suffix">The uncached trailing text.</param>
        public PromptRequest(string schemaName, string schemaHash, EquatableArray<ModuleSelection> modules, EquatableArray<PromptSuffixPart> suffix)
        {
            SchemaName = schemaName ?? throw new ArgumentNullException(nameof(schemaName));
            SchemaHash = schemaHash ?? string.Empty;
            Modules = modules;
            Suffix = suffix;
        }

        /// <summary>Creates a request from ordinary sequences.</summary>
        public PromptRequest(string schemaName, string schemaHash, IEnumerable<ModuleSelection> modules, IEnumerable<PromptSuffixPart> suffix)
            : this(schemaName, schemaHash, new EquatableArray<ModuleSelection>(modules), new EquatableArray<PromptSuffixPart>(suffix))
        {
        }

        /// <summary>The schema's PML name.</summary>
        public string SchemaName { get; }

        /// <summary>The schema's content hash, or empty when the request was parsed without its schema.</summary>
        public string SchemaHash { get; }

        /// <summary>Selected modules, parents before children.</summary>
        public EquatableArray<ModuleSelection> Modules { get; }

        /// <summary>The uncached suffix: free text and role-tagged text after the last module.</summary>
        public EquatableArray<PromptSuffixPart> Suffix { get; }

        /// <summary>The selection whose path is <paramref name="path"/> ('/'-separated), or null.</summary>
        public ModuleSelection? Find(string path)
        {
            foreach (var m in Modules)
            {
                if (m.PathString == path)
                    return m;
            }
            return null;
        }

        /// <summary>Renders the request as a <c>&lt;prompt&gt;</c> PML document.</summary>
        public string ToPml() => PromptPmlWriter.Write(this);

        /// <inheritdoc/>
        public bool Equals(PromptRequest? other) =>
            other is not null && SchemaName == other.SchemaName && SchemaHash == other.SchemaHash
            && Modules.Equals(other.Modules) && Suffix.Equals(other.Suffix);

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as PromptRequest);

        /// <inheritdoc/>
        public override int GetHashCode() =>
            HashCombiner.Combine(SchemaName.GetHashCode(), SchemaHash.GetHashCode(), Modules.GetHashCode(), Suffix.GetHashCode());

        /// <inheritdoc/>
        public override string ToString() => ToPml();
    }
}
