namespace PromptCache.Pml.Layout
{
    /// <summary>What a <see cref="LayoutElement"/> stands for.</summary>
    public enum LayoutElementKind
    {
        /// <summary>A text segment (tokenized on its own).</summary>
        Text,

        /// <summary>The opening marker of a role tag.</summary>
        RoleBegin,

        /// <summary>The closing marker of a role tag.</summary>
        RoleEnd,

        /// <summary>The start of a module; its bound length is the whole module's.</summary>
        ModuleStart,

        /// <summary>The end of a module (zero length).</summary>
        ModuleEnd,

        /// <summary>The start of a union; its bound length is its longest member's.</summary>
        UnionStart,

        /// <summary>The end of a union (zero length).</summary>
        UnionEnd,

        /// <summary>A parameter slot of a fixed number of tokens.</summary>
        Parameter,
    }
}
