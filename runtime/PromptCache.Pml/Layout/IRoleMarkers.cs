using PromptCache.Pml.Syntax;

namespace PromptCache.Pml.Layout
{
    /// <summary>
    /// The model's chat markers that replace PML role tags (Llama 2 <c>[INST] &lt;&lt;SYS&gt;&gt;</c>,
    /// ChatML <c>&lt;|im_start|&gt;system</c>, ...), as token counts. Counts rather than text because
    /// markers usually contain special tokens that only the tokenizer knows how to encode.
    /// </summary>
    public interface IRoleMarkers
    {
        /// <summary>Tokens that open <paramref name="role"/>.</summary>
        int CountBeginTokens(PmlRoleKind role);

        /// <summary>Tokens that close <paramref name="role"/>.</summary>
        int CountEndTokens(PmlRoleKind role);
    }
}
