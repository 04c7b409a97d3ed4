namespace PromptCache.Pml.Syntax
{
    /// <summary>
    /// A <c>&lt;union&gt;</c>: exactly one member module is chosen per request. All members start at
    /// the union's offset, and the union is as long as its longest member.
    /// </summary>
    public sealed class PmlUnion : PmlNode
    {
        /// <summary>Creates a union node.</summary>
        public PmlUnion(string? scaffoldMember, EquatableArray<PmlModule> members, PmlLocation location)
            : base(location)
        {
            ScaffoldMember = scaffoldMember;
            Members = members;
        }

        /// <summary>
        /// The default member, used as context while the rest of the schema is precomputed: the
        /// explicit <c>scaffold</c> attribute when it names a member, else the first member (what the
        /// reference implementation does). Null only for an empty union (an error).
        /// </summary>
        public string? ScaffoldMember { get; }

        /// <summary>The member modules, in document order.</summary>
        public EquatableArray<PmlModule> Members { get; }

        /// <inheritdoc/>
        public override bool Equals(PmlNode? other) =>
            other is PmlUnion u && ScaffoldMember == u.ScaffoldMember && Members.Equals(u.Members) && Location.Equals(u.Location);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCombiner.Combine(5, HashCombiner.Of(ScaffoldMember), Members.GetHashCode(), Location.GetHashCode());
    }
}
