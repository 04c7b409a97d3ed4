namespace PromptCache.Pml.Syntax
{
    /// <summary>A <c>&lt;parameter&gt;</c>: a slot of <see cref="Length"/> token positions filled by a request's argument.</summary>
    public sealed class PmlParameter : PmlNode
    {
        /// <summary>Creates a parameter node.</summary>
        public PmlParameter(string name, int length, string? scaffold, PmlLocation location)
            : base(location)
        {
            Name = name ?? string.Empty;
            Length = length;
            Scaffold = scaffold;
        }

        /// <summary>The PML name (unique in its module).</summary>
        public string Name { get; }

        /// <summary>Number of token positions reserved (positive; 1 when the schema's value was invalid, which is also reported).</summary>
        public int Length { get; }

        /// <summary>Text encoded in the slot during precompute, or null (the slot is then padded with the unk token).</summary>
        public string? Scaffold { get; }

        /// <inheritdoc/>
        public override bool Equals(PmlNode? other) =>
            other is PmlParameter p && Name == p.Name && Length == p.Length && Scaffold == p.Scaffold && Location.Equals(p.Location);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCombiner.Combine(4, Name.GetHashCode(), Length, HashCombiner.Of(Scaffold), Location.GetHashCode());
    }
}
