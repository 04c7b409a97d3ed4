namespace PromptCache.Pml.Syntax
{
    /// <summary>The chat roles PML's role tags stand for.</summary>
    public enum PmlRoleKind
    {
        /// <summary><c>&lt;system&gt;</c>.</summary>
        System,

        /// <summary><c>&lt;user&gt;</c>.</summary>
        User,

        /// <summary><c>&lt;assistant&gt;</c>.</summary>
        Assistant,
    }
}
