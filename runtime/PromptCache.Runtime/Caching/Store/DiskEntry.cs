using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Keys;

namespace PromptCache.Runtime.Caching.Store;

/// <summary>
/// One published cache file in the disk index (guarded by the store's lock). The path is not kept:
/// it follows from the key, and a 120-character string per file was a third of the index's memory.
/// </summary>
internal sealed class DiskEntry(KvCacheKey key, long fileBytes, KvEntryMetadata metadata)
{
    public KvCacheKey Key { get; } = key;

    public long FileBytes { get; } = fileBytes;

    public KvEntryMetadata Metadata { get; } = metadata;

    public LinkedListNode<DiskEntry>? LruNode { get; set; }
}
