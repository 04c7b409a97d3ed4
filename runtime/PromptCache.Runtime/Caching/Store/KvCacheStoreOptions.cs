using PromptCache.Runtime.Caching.Memory;

namespace PromptCache.Runtime.Caching.Store;

/// <summary>Budgets and places of a <see cref="KvCacheStore"/>.</summary>
public sealed record KvCacheStoreOptions
{
    /// <summary>Payload bytes the memory tier may list (pinned entries may exceed it; see README).</summary>
    public long MemoryBudgetBytes { get; init; } = 2L << 30;

    /// <summary>Where memory-tier payloads live; host RAM by default, device memory for a device tier.</summary>
    public IKvMemoryAllocator MemoryAllocator { get; init; } = HostKvAllocator.Instance;

    /// <summary>The disk tier's directory (created if missing); null for no disk tier.</summary>
    public string? DiskDirectory { get; init; }

    /// <summary>
    /// The next tier down, for a store whose memory is device memory: evictions spill into it, misses
    /// are promoted from it, and persistence goes through it (so it owns the disk directory). The
    /// caller owns and disposes it. Mutually exclusive with <see cref="DiskDirectory"/>.
    /// </summary>
    public KvCacheStore? LowerTier { get; init; }

    /// <summary>File bytes the disk tier may hold.</summary>
    public long DiskBudgetBytes { get; init; } = 32L << 30;

    /// <summary>Move corrupt files to <c>DiskDirectory/quarantine/</c> for inspection instead of deleting them.</summary>
    public bool QuarantineCorruptFiles { get; init; }

    /// <summary>Receives corrupt-file, write-failure and similar events; exceptions it throws are swallowed.</summary>
    public Action<KvCacheNotice>? OnNotice { get; init; }

    internal void Validate()
    {
        if (MemoryBudgetBytes < 0)
        {
            throw new ArgumentException($"MemoryBudgetBytes must be ≥ 0, got {MemoryBudgetBytes}.", nameof(MemoryBudgetBytes));
        }

        if (DiskBudgetBytes < 0)
        {
            throw new ArgumentException($"DiskBudgetBytes must be ≥ 0, got {DiskBudgetBytes}.", nameof(DiskBudgetBytes));
        }

        ArgumentNullException.ThrowIfNull(MemoryAllocator);
        if (LowerTier is not null && DiskDirectory is not null)
        {
            throw new ArgumentException("A store with a LowerTier persists through it; give the DiskDirectory to the lower store instead.", nameof(LowerTier));
        }
        if (DiskDirectory is not null && string.IsNullOrWhiteSpace(DiskDirectory))
        {
            throw new ArgumentException("DiskDirectory is blank; pass null for no disk tier.", nameof(DiskDirectory));
        }
    }
}
