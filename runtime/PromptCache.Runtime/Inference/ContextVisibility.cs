namespace PromptCache.Runtime.Inference;

/// <summary>Which tokens of the context segments a new token attends to.</summary>
public enum ContextVisibility
{
    /// <summary>
    /// Every token of every context segment, whatever its position (Hugging Face's semantics for a
    /// concatenated cache: the mask follows cache order, not position ids).
    /// </summary>
    All,

    /// <summary>
    /// Only context tokens at positions below the new token's own position. Prompt Cache needs this:
    /// an argument is computed inside its slot, in the middle of a schema whose cached segments also
    /// hold tokens after the slot, and it must not attend to text that follows it. For tokens placed
    /// after every cached token (a suffix) it is the same as <see cref="All"/>.
    /// </summary>
    BelowQueryPosition,
}
