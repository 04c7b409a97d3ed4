namespace PromptCache.Runtime.Inference;

/// <summary>Which rows of vocabulary logits a forward call computes.</summary>
/// <remarks>Past the last layer's K/V store only these rows are computed further (their K/V is the same either way).</remarks>
public enum LogitsMode
{
    /// <summary>None: only K/V is produced (building a cached segment).</summary>
    None,

    /// <summary>Only the last new token's row (prefill before sampling).</summary>
    Last,

    /// <summary>One row per new token (scoring, parity checks).</summary>
    All,
}
