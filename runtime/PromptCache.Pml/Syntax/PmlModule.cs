namespace PromptCache.Pml.Syntax
{
    /// <summary>A <c>&lt;module&gt;</c>: a named, reusable piece of the prompt whose K/V can be precomputed.</summary>
    public sealed class PmlModule : PmlNode
    {
        /// <summary>Creates a module node.</summary>
        public PmlModule(string name, bool cache, string? src, EquatableArray<PmlNode> children, PmlLocation location, PmlLocation nameLocation)
            : base(location)
        {
            Name = name ?? string.Empty;
            Cache = cache;
            Src = src;
            Children = children;
            NameLocation = nameLocation ?? PmlLocation.None;
        }

        /// <summary>The PML name (unique in its scope).</summary>
        public string Name { get; }

        /// <summary>False when <c>cache="false"</c>: the module is computed on every request.</summary>
        public bool Cache { get; }

        /// <summary>The <c>src</c> path as written, or null. When set and resolved, <see cref="Children"/> holds the file's text.</summary>
        public string? Src { get; }

        /// <summary>The content, in document order.</summary>
        public EquatableArray<PmlNode> Children { get; }

        /// <summary>Where the <c>name</c> attribute's value is (for diagnostics about the name).</summary>
        public PmlLocation NameLocation { get; }

        /// <inheritdoc/>
        public override bool Equals(PmlNode? other) =>
            other is PmlModule m && Name == m.Name && Cache == m.Cache && Src == m.Src
            && Children.Equals(m.Children) && Location.Equals(m.Location) && NameLocation.Equals(m.NameLocation);

        /// <inheritdoc/>
        public override int GetHashCode() =>
            HashCombiner.Combine(3, Name.GetHashCode(), Cache ? 1 : 0, HashCombiner.Of(Src), Children.GetHashCode(), Location.GetHashCode());
    }
}
