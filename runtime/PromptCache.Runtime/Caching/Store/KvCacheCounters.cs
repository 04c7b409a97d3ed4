namespace PromptCache.Runtime.Caching.Store;

/// <summary>
/// A snapshot of the store's counters (monotonic since the store opened) and gauges (current values).
/// The engine exports these through System.Diagnostics.Metrics.
/// </summary>
public sealed record KvCacheCounters
{
    /// <summary>Lookups served from the memory tier.</summary>
    public long MemoryHits { get; init; }

    /// <summary>Lookups the memory tier could not serve.</summary>
    public long MemoryMisses { get; init; }

    /// <summary>Lookups served from disk (each promoted into memory).</summary>
    public long DiskHits { get; init; }

    /// <summary>Lookups that missed memory and found nothing on disk.</summary>
    public long DiskMisses { get; init; }

    /// <summary>Lookups promoted from the lower store (<see cref="KvCacheStoreOptions.LowerTier"/>).</summary>
    public long LowerHits { get; init; }

    /// <summary>Lookups that missed memory and the lower store.</summary>
    public long LowerMisses { get; init; }

    /// <summary>Lookups no tier could serve (the engine recomputes).</summary>
    public long Misses { get; init; }

    /// <summary>Puts that copied a payload.</summary>
    public long Puts { get; init; }

    /// <summary>Puts answered by an identical entry already present or in flight.</summary>
    public long PutsDeduplicated { get; init; }

    /// <summary>Entries evicted from memory.</summary>
    public long MemoryEvictions { get; init; }

    /// <summary>Memory evictions written to disk first (write-back).</summary>
    public long Spills { get; init; }

    /// <summary>Files deleted to keep the disk budget.</summary>
    public long DiskEvictions { get; init; }

    /// <summary>Cache files that failed verification (at start-up or on read).</summary>
    public long CorruptFilesDetected { get; init; }

    /// <summary>Temp files of interrupted writes removed at start-up.</summary>
    public long StaleTempFilesRemoved { get; init; }

    /// <summary>Disk writes that failed.</summary>
    public long WriteFailures { get; init; }

    /// <summary>Bytes written to published cache files.</summary>
    public long BytesWritten { get; init; }

    /// <summary>Payload bytes read from cache files.</summary>
    public long BytesRead { get; init; }

    /// <summary>Payload bytes listed in the memory tier.</summary>
    public long MemoryBytes { get; init; }

    /// <summary>Entries listed in the memory tier.</summary>
    public int MemoryEntries { get; init; }

    /// <summary>Bytes no longer listed (evicted, replaced, too large) but still held by leases or in-flight writes.</summary>
    public long RetainedBytes { get; init; }

    /// <summary>File bytes (header + payload + trailer) in the disk tier.</summary>
    public long DiskBytes { get; init; }

    /// <summary>Files in the disk tier.</summary>
    public int DiskEntries { get; init; }

    /// <summary>Keys with at least one pin.</summary>
    public int PinnedKeys { get; init; }

    /// <summary>Disk writes queued or running.</summary>
    public int PendingWrites { get; init; }

    /// <summary>Estimated managed bytes of the store's indexes (see <see cref="KvStoreAccounting"/>).</summary>
    public long IndexOverheadBytes { get; init; }
}
