using PromptCache.Runtime.Caching.Keys;

namespace PromptCache.Runtime.Caching.Store;

/// <summary>
/// Keeps a key from being evicted from either tier while alive (pins are counted: the key is pinned
/// while any pin on it is alive). A key may be pinned before it is stored.
/// </summary>
public sealed class KvPin : IDisposable
{
    private KvCacheStore? _store;

    internal KvPin(KvCacheStore store, KvCacheKey key)
    {
        _store = store;
        Key = key;
    }

    /// <summary>The pinned key.</summary>
    public KvCacheKey Key { get; }

    /// <summary>Removes this pin.</summary>
    public void Dispose() => Interlocked.Exchange(ref _store, null)?.Unpin(Key);
}
