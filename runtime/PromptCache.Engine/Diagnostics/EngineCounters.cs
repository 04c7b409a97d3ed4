using PromptCache.Runtime.Caching.Store;

namespace PromptCache.Engine.Diagnostics;

/// <summary>A snapshot of what the engine has done since it started.</summary>
public sealed record EngineCounters
{
    /// <summary>Schemas bound and warmed.</summary>
    public long SchemasWarmed { get; init; }

    /// <summary>Module segments computed by precompute passes (misses).</summary>
    public long SegmentsComputed { get; init; }

    /// <summary>Module segments loaded from the store's memory or disk tier instead of computed.</summary>
    public long SegmentsLoaded { get; init; }

    /// <summary>Tokens pushed through the model while warming.</summary>
    public long PrecomputeTokens { get; init; }

    /// <summary>Prompt calls served with cached K/V.</summary>
    public long CachedRequests { get; init; }

    /// <summary>Prompt calls served by full prefill.</summary>
    public long UncachedRequests { get; init; }

    /// <summary>Cached segments reused by calls (hits).</summary>
    public long ModuleHits { get; init; }

    /// <summary>Tokens computed by calls before their first token.</summary>
    public long PrefillTokens { get; init; }

    /// <summary>Tokens calls took from cached segments instead of computing.</summary>
    public long ReusedTokens { get; init; }

    /// <summary>Conversation turns run (<see cref="PromptConversation"/>; each is also counted in <see cref="CachedRequests"/>).</summary>
    public long ConversationTurns { get; init; }

    /// <summary>Turns whose session history came from the store's memory tier.</summary>
    public long SessionMemoryLoads { get; init; }

    /// <summary>Turns whose session history was loaded back from the disk tier (spilled under memory pressure), without recomputation.</summary>
    public long SessionDiskLoads { get; init; }

    /// <summary>Turns whose session history was gone from the store and had to be recomputed from its tokens.</summary>
    public long SessionRecomputes { get; init; }

    /// <summary>Tokens those recomputations pushed through the model.</summary>
    public long SessionRecomputedTokens { get; init; }

    /// <summary>Cache files the store found corrupt or mismatched (reported, then recomputed).</summary>
    public long CorruptFiles { get; init; }

    /// <summary>The store's own counters and gauges (hits, misses, evictions, bytes per tier).</summary>
    public required KvCacheCounters Store { get; init; }
}
