using System;

namespace PromptCache.Pml.Syntax
{
    /// <summary>A parsed schema: the root module, which starts at position 0.</summary>
    public sealed class PmlSchema : IEquatable<PmlSchema>
    {
        /// <summary>Creates a schema.</summary>
        public PmlSchema(string name, EquatableArray<PmlNode> children, PmlLocation location, PmlLocation nameLocation, string contentHash)
        {
            Name = name ?? string.Empty;
            Children = children;
            Location = location ?? PmlLocation.None;
            NameLocation = nameLocation ?? PmlLocation.None;
            ContentHash = contentHash ?? string.Empty;
        }

        /// <summary>The schema's name (a prompt's <c>schema</c> attribute refers to it).</summary>
        public string Name { get; }

        /// <summary>Top-level content, in document order.</summary>
        public EquatableArray<PmlNode> Children { get; }

        /// <summary>The <c>&lt;schema&gt;</c> start tag.</summary>
        public PmlLocation Location { get; }

        /// <summary>The <c>name</c> attribute's value.</summary>
        public PmlLocation NameLocation { get; }

        /// <summary>
        /// Hex SHA-256 of the PML text (line endings normalised to LF) and of every loaded <c>src</c>
        /// file. Cached K/V is keyed on it, so it changes whenever the content could.
        /// </summary>
        public string ContentHash { get; }

        /// <inheritdoc/>
        public bool Equals(PmlSchema? other) =>
            other is not null && Name == other.Name && ContentHash == other.ContentHash
            && Children.Equals(other.Children) && Location.Equals(other.Location) && NameLocation.Equals(other.NameLocation);

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as PmlSchema);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCombiner.Combine(Name.GetHashCode(), ContentHash.GetHashCode(), Children.GetHashCode());
    }
}
