namespace PromptCache.Runtime.Caching.Store;

/// <summary>When an entry put into memory reaches the disk tier (ignored without a disk tier).</summary>
public enum KvPersistMode
{
    /// <summary>Write-through: the put completes once the file is durable (fsync + rename). The default for module K/V, so a restart warms from disk.</summary>
    Durable,

    /// <summary>Write-behind: the put completes after the memory copy; the file is written in the background (<see cref="KvCacheStore.FlushAsync"/> waits for it). Suits conversation turns.</summary>
    Background,

    /// <summary>Write-back: written only if memory pressure evicts the entry (a spill).</summary>
    OnEviction,

    /// <summary>Memory only: eviction drops the entry.</summary>
    Never,
}
