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

    /// <summary>The next store down (<see cref="KvCacheStoreOptions.LowerTier"/>), e.g. host memory under a device tier.</summary>
    Lower,
}
