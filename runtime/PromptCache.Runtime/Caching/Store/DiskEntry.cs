using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Keys;

namespace PromptCache.Runtime.Caching.Store;

/// <summary>One published cache file in the disk index (guarded by the store's lock).</summary>
internal sealed class DiskEntry(KvCacheKey key, string path, long fileBytes, KvEntryMetadata metadata)
{
    public KvCacheKey Key { get; } = key;

    public string Path { get; } = path;

    public long FileBytes { get; } = fileBytes;

    public KvEntryMetadata Metadata { get; } = metadata;

    public LinkedListNode<DiskEntry>? LruNode { get; set; }
}
