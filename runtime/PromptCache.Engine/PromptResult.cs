using PromptCache.Runtime.Generation;

namespace PromptCache.Engine;

/// <summary>Timing and accounting of one prompt call, filled in while it runs.</summary>
public sealed class PromptRunStats
{
    /// <summary>True when cached module K/V was used; false for the full-prefill path.</summary>
    public bool UsedCache { get; internal set; }

    /// <summary>From the call to the first sampled token: validation, planning, the prefill of new tokens, sampling.</summary>
    public TimeSpan TimeToFirstToken { get; internal set; }

    /// <summary>
    /// The part of <see cref="TimeToFirstToken"/> before the first forward pass: validation, planning (tokenizing the
    /// arguments, composing the cached segments) and renting the request's K/V session; for a conversation turn,
    /// preparing the turn (overflow planning, and starting its history's layer-wise load, which the forward overlaps).
    /// </summary>
    public TimeSpan PlanningTime { get; internal set; }

    /// <summary>
    /// The first forward pass (the new tokens through the model, its logits on the host), from its dispatch to the
    /// engine's forward queue to its return. The rest of <see cref="TimeToFirstToken"/> is sampling.
    /// </summary>
    public TimeSpan PrefillTime { get; internal set; }

    /// <summary>From the call to the end of generation.</summary>
    public TimeSpan TotalTime { get; internal set; }

    /// <summary>Tokens pushed through the model before the first token (arguments, uncached modules, suffix; everything when uncached).</summary>
    public int PrefillTokens { get; internal set; }

    /// <summary>Tokens served from cached segments.</summary>
    public int CachedTokens { get; internal set; }

    /// <summary>Cached segments reused (the schema root counts as one).</summary>
    public int ModuleHits { get; internal set; }

    /// <summary>Tokens generated (a final stop token included).</summary>
    public int GeneratedTokens { get; internal set; }

    /// <summary>Why generation ended.</summary>
    public StopReason StopReason { get; internal set; }

    /// <summary>A rehearsal call (<see cref="PromptCacheEngine.RehearseAsync"/>): not counted in the request metrics.</summary>
    internal bool Rehearsal { get; init; }
}

/// <summary>The answer of a prompt call and its statistics.</summary>
/// <param name="Text">The generated text.</param>
/// <param name="TokenIds">The generated ids (a stop token excluded).</param>
/// <param name="Stats">TTFT, prefill and cache accounting.</param>
public sealed record PromptResult(string Text, IReadOnlyList<int> TokenIds, PromptRunStats Stats)
{
    /// <summary>Shortcut for <see cref="PromptRunStats.TimeToFirstToken"/>.</summary>
    public TimeSpan TimeToFirstToken => Stats.TimeToFirstToken;
}

/// <summary>Progress of warming, reported once per schema.</summary>
/// <param name="SchemaName">The schema just warmed.</param>
/// <param name="Completed">Schemas done so far.</param>
/// <param name="Total">Schemas to warm.</param>
/// <param name="Segments">Segments the schema has (root and cacheable modules).</param>
/// <param name="LoadedFromStore">True when every segment came from the store (memory or disk) and nothing was computed.</param>
/// <param name="ComputedTokens">Tokens pushed through the model to warm it (0 when loaded).</param>
/// <param name="Elapsed">Time this schema took.</param>
public sealed record WarmProgress(string SchemaName, int Completed, int Total, int Segments, bool LoadedFromStore, int ComputedTokens, TimeSpan Elapsed);
