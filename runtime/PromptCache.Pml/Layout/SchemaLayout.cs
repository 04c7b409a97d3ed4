using System;
using System.Collections.Generic;
using PromptCache.Pml.Syntax;

namespace PromptCache.Pml.Layout
{
    /// <summary>
    /// The structural layout of a schema: its elements in document order (text, role markers,
    /// module and union boundaries, parameter slots), independent of any tokenizer. <see cref="Bind"/>
    /// turns it into token offsets; that is the one place where positions are computed, so the
    /// generator (at build time) and the runtime (at start-up) agree by construction.
    /// </summary>
    public sealed class SchemaLayout : IEquatable<SchemaLayout>
    {
        /// <summary>Creates a layout (see <see cref="Build"/>).</summary>
        public SchemaLayout(string schemaName, string contentHash, EquatableArray<LayoutElement> elements, PmlLocation schemaLocation)
        {
            SchemaName = schemaName ?? string.Empty;
            ContentHash = contentHash ?? string.Empty;
            Elements = elements;
            SchemaLocation = schemaLocation ?? PmlLocation.None;
        }

        /// <summary>The schema's name.</summary>
        public string SchemaName { get; }

        /// <summary>The schema's content hash.</summary>
        public string ContentHash { get; }

        /// <summary>Elements in document order.</summary>
        public EquatableArray<LayoutElement> Elements { get; }

        /// <summary>The schema's start tag (diagnostics about the whole schema point here).</summary>
        public PmlLocation SchemaLocation { get; }

        /// <summary>Builds the structural layout of <paramref name="schema"/>.</summary>
        public static SchemaLayout Build(PmlSchema schema)
        {
            if (schema is null)
                throw new ArgumentNullException(nameof(schema));
            return LayoutBuilder.Build(schema);
        }

        /// <summary>
        /// Computes token offsets: text segments take their token count, role markers take the
        /// markers' counts (0 without <paramref name="roleMarkers"/>), a parameter reserves its
        /// length, union members all start at the union's offset, a union is as long as its longest
        /// member and what follows starts after it. Scaffolds longer than their slot and a schema
        /// longer than <paramref name="contextLength"/> are reported as diagnostics.
        /// </summary>
        public BoundLayout Bind(ITokenCounter tokenCounter, IRoleMarkers? roleMarkers = null, int? contextLength = null)
        {
            if (tokenCounter is null)
                throw new ArgumentNullException(nameof(tokenCounter));
            return LayoutBinder.Bind(this, tokenCounter, roleMarkers, contextLength);
        }

        /// <summary>The module start elements (every module, union members included), in document order.</summary>
        public IEnumerable<LayoutElement> Modules
        {
            get
            {
                foreach (var e in Elements)
                {
                    if (e.Kind == LayoutElementKind.ModuleStart)
                        yield return e;
                }
            }
        }

        /// <summary>The parameter elements, in document order.</summary>
        public IEnumerable<LayoutElement> Parameters
        {
            get
            {
                foreach (var e in Elements)
                {
                    if (e.Kind == LayoutElementKind.Parameter)
                        yield return e;
                }
            }
        }

        /// <summary>Paths of the modules on the default scaffold path, joined with '/'.</summary>
        public IEnumerable<string> DefaultPath
        {
            get
            {
                foreach (var e in Elements)
                {
                    if (e.Kind == LayoutElementKind.ModuleStart && e.IsOnDefaultPath)
                        yield return e.ModulePathString;
                }
            }
        }

        /// <inheritdoc/>
        public bool Equals(SchemaLayout? other) =>
            other is not null && SchemaName == other.SchemaName && ContentHash == other.ContentHash
            && Elements.Equals(other.Elements) && SchemaLocation.Equals(other.SchemaLocation);

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as SchemaLayout);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCombiner.Combine(SchemaName.GetHashCode(), ContentHash.GetHashCode(), Elements.GetHashCode());
    }
}
