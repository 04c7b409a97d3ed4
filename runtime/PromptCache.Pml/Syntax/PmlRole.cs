namespace PromptCache.Pml.Syntax
{
    /// <summary>
    /// A role tag (<c>&lt;system&gt;</c>, <c>&lt;user&gt;</c>, <c>&lt;assistant&gt;</c>). It is replaced
    /// by the model's role markers. It is transparent for scoping: modules inside a role tag belong to
    /// the enclosing module's scope, as in the reference, which replaces role tags textually.
    /// </summary>
    public sealed class PmlRole : PmlNode
    {
        /// <summary>Creates a role node.</summary>
        public PmlRole(PmlRoleKind role, EquatableArray<PmlNode> children, PmlLocation location)
            : base(location)
        {
            Role = role;
            Children = children;
        }

        /// <summary>Which role.</summary>
        public PmlRoleKind Role { get; }

        /// <summary>The content, in document order.</summary>
        public EquatableArray<PmlNode> Children { get; }

        /// <inheritdoc/>
        public override bool Equals(PmlNode? other) =>
            other is PmlRole r && Role == r.Role && Children.Equals(r.Children) && Location.Equals(r.Location);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCombiner.Combine(2, (int)Role, Children.GetHashCode(), Location.GetHashCode());
    }
}
