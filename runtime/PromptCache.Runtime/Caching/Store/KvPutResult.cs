namespace PromptCache.Runtime.Caching.Store;

/// <summary>What a put did.</summary>
public enum KvPutOutcome
{
    /// <summary>Copied into memory (and to disk as the persist mode says).</summary>
    Stored,

    /// <summary>The key was already present (memory or disk); nothing copied.</summary>
    AlreadyPresent,

    /// <summary>Another put of the same key was in flight; this one waited for it instead of copying again.</summary>
    Deduplicated,

    /// <summary>Too large for the memory budget (after evicting everything unpinned): written to disk only.</summary>
    StoredOnDiskOnly,

    /// <summary>Fits neither tier (or memory only and too large); not stored.</summary>
    Rejected,
}

/// <summary>The result of a put.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Persisted">True when a durable file exists for the entry once the put returns (always false for background/on-eviction modes).</param>
public readonly record struct KvPutResult(KvPutOutcome Outcome, bool Persisted);
