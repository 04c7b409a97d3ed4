using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Persistence;

namespace PromptCache.Runtime.Caching.Store;

/// <summary>
/// Bytes the store spends per entry on top of the payload, so the engine can state
/// bytes per cached token = 2·layers·kv_heads·head_dim·dtype_bytes, plus a fixed per-entry overhead.
/// </summary>
public static class KvStoreAccounting
{
    /// <summary>
    /// Upper estimate of the managed bytes one entry costs in the memory index (entry object, LRU node,
    /// dictionary slot, buffer wrapper and SafeHandle, metadata with one position run and a short label).
    /// Measured by the test <c>IndexOverhead_PerEntry_IsWithinTheDocumentedEstimate</c>, which fails if
    /// the real allocation grows past it.
    /// </summary>
    public const int MemoryIndexBytesPerEntry = 512;

    /// <summary>
    /// Upper estimate of the managed bytes one file costs in the disk index (entry, LRU node, dictionary
    /// slot, metadata parsed from the header). Checked by <c>DiskIndexOverhead_PerFile_IsWithinTheDocumentedEstimate</c>.
    /// </summary>
    public const int DiskIndexBytesPerEntry = 512;

    /// <summary>Payload bytes per token: 2·layers·kv_heads·head_dim·dtype_bytes.</summary>
    public static long PayloadBytesPerToken(KvEntryMetadata metadata) => metadata.BytesPerToken;

    /// <summary>File header + trailer bytes for this entry (the on-disk overhead; independent of token count for one position run).</summary>
    public static long FileOverheadBytes(KvEntryMetadata metadata) => KvFileFormat.OverheadBytes(metadata);

    /// <summary>Total bytes one entry occupies in memory: payload + memory-index estimate.</summary>
    public static long MemoryFootprint(KvEntryMetadata metadata) => metadata.PayloadBytes + MemoryIndexBytesPerEntry;

    /// <summary>Total bytes one entry occupies on disk: payload + header + trailer.</summary>
    public static long DiskFootprint(KvEntryMetadata metadata) => metadata.PayloadBytes + FileOverheadBytes(metadata);
}
