using PromptCache.Runtime.Caching.Entries;

namespace PromptCache.Runtime.Caching.Memory;

/// <summary>
/// Where a memory tier keeps its resident entries. The host tier uses <see cref="HostKvAllocator"/>;
/// a device tier (CUDA) supplies an allocator whose buffers live in device memory. The store only
/// ever writes a buffer layer by layer, copies layers out of it, and disposes it once no lease is left.
/// </summary>
public interface IKvMemoryAllocator
{
    /// <summary>A short name for counters and notices ("host", "cuda:0").</summary>
    string TierName { get; }

    /// <summary>Allocates room for a payload described by <paramref name="metadata"/>.</summary>
    /// <exception cref="OutOfMemoryException">The memory is not available.</exception>
    IKvResidentBuffer Allocate(KvEntryMetadata metadata);
}

/// <summary>A payload resident in a memory tier; disposed by the store when its last reference goes.</summary>
public interface IKvResidentBuffer : IKvBlob, IDisposable
{
    /// <summary>Bytes charged to the tier's budget.</summary>
    long SizeInBytes { get; }

    /// <summary>Fills layer <paramref name="layer"/> from <paramref name="source"/> (exactly one layer long).</summary>
    void WriteLayer(int layer, ReadOnlySpan<byte> source);
}
