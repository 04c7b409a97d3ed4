using PromptCache.Runtime.Caching.Keys;
using PromptCache.Runtime.Caching.Store;

namespace PromptCache.Runtime.Caching.Memory;

/// <summary>
/// One payload in a memory tier, reference-counted: the index holds one reference while the entry is
/// listed, every lease and every in-flight disk write holds one more. The buffer is freed when the
/// last reference goes, so eviction (which only drops the index's reference) can never free memory
/// that a reader is still using.
/// </summary>
internal sealed class ResidentEntry
{
    private readonly Action<ResidentEntry> _onFreed;
    private int _references = 1;
    private int _retained;

    public ResidentEntry(KvCacheKey key, IKvResidentBuffer buffer, KvPersistMode persist, Action<ResidentEntry> onFreed)
    {
        Key = key;
        Buffer = buffer;
        Persist = persist;
        _onFreed = onFreed;
    }

    public KvCacheKey Key { get; }

    public IKvResidentBuffer Buffer { get; }

    public long Bytes => Buffer.SizeInBytes;

    public KvPersistMode Persist { get; }

    /// <summary>Position in the memory LRU while indexed (guarded by the store's lock).</summary>
    public LinkedListNode<ResidentEntry>? LruNode { get; set; }

    /// <summary>
    /// Set (under the store's lock) when a newer version replaced this one or the key was removed, so a
    /// write still in flight for it is discarded instead of publishing stale bytes.
    /// </summary>
    public bool Superseded { get; set; }

    /// <summary>Whether the entry is counted in the store's "retained by leases" bytes.</summary>
    public bool IsRetained => Volatile.Read(ref _retained) != 0;

    public int References => Volatile.Read(ref _references);

    /// <summary>Takes a reference. Only call while another reference is known to be held (e.g. the index's, under the lock).</summary>
    public void AddRef()
    {
        int after = Interlocked.Increment(ref _references);
        if (after <= 1)
        {
            throw new InvalidOperationException($"Cache entry {Key} was revived after being freed; this is a store bug.");
        }
    }

    /// <summary>
    /// Marks the entry as no longer listed in any index: from now on its bytes count as retained until
    /// the last lease goes. Call before releasing the index's reference.
    /// </summary>
    public void MarkRetained(Action<long> addRetained)
    {
        if (Interlocked.Exchange(ref _retained, 1) == 0)
        {
            addRetained(Bytes);
        }
    }

    /// <summary>Drops a reference; the last one frees the buffer.</summary>
    public void Release()
    {
        int after = Interlocked.Decrement(ref _references);
        if (after == 0)
        {
            Buffer.Dispose();
            _onFreed(this);
        }
        else if (after < 0)
        {
            throw new InvalidOperationException($"Cache entry {Key} was released more often than referenced; this is a store bug.");
        }
    }
}
