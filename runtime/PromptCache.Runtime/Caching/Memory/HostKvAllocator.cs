using PromptCache.Runtime.Caching.Entries;

namespace PromptCache.Runtime.Caching.Memory;

/// <summary>Allocates resident entries in native host memory (64-byte aligned, outside the GC heap).</summary>
public sealed class HostKvAllocator : IKvMemoryAllocator
{
    /// <summary>A shared instance; the allocator has no state.</summary>
    public static HostKvAllocator Instance { get; } = new();

    /// <inheritdoc />
    public string TierName => "host";

    /// <inheritdoc />
    public IKvResidentBuffer Allocate(KvEntryMetadata metadata) => new HostKvBuffer(metadata);
}
