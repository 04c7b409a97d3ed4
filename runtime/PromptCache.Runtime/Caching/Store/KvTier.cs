namespace PromptCache.Runtime.Caching.Store;

/// <summary>A storage tier of the cache.</summary>
public enum KvTier
{
    /// <summary>Not stored.</summary>
    None = 0,

    /// <summary>The memory tier (host RAM, or device memory with a device allocator).</summary>
    Memory,

    /// <summary>The local disk directory.</summary>
    Disk,
}
