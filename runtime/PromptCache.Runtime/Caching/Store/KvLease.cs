using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Keys;
using PromptCache.Runtime.Caching.Memory;

namespace PromptCache.Runtime.Caching.Store;

/// <summary>
/// Read access to one cached entry. While the lease is alive its bytes stay valid even if the store
/// evicts, replaces or removes the entry; dispose it when done (the memory is freed with the last lease).
/// Many leases on one entry share the same read-only bytes.
/// </summary>
public sealed class KvLease : IKvHostBlob, IDisposable
{
    private ResidentEntry? _entry;

    internal KvLease(ResidentEntry entry, KvTier servedFrom)
    {
        _entry = entry;
        Key = entry.Key;
        Metadata = entry.Buffer.Metadata;
        ServedFrom = servedFrom;
    }

    /// <summary>The entry's key.</summary>
    public KvCacheKey Key { get; }

    /// <inheritdoc />
    public KvEntryMetadata Metadata { get; }

    /// <summary>
    /// The tier the lookup was served from: <see cref="KvTier.Memory"/>, <see cref="KvTier.Disk"/>
    /// (just read, verified and promoted), or <see cref="KvTier.None"/> when this very call computed
    /// the entry (<see cref="KvCacheStore.GetOrAddAsync"/> on a miss).
    /// </summary>
    public KvTier ServedFrom { get; }

    /// <summary>The resident payload (a host buffer unless the memory tier uses a device allocator).</summary>
    public IKvResidentBuffer Buffer => Entry.Buffer;

    /// <summary>Whether <see cref="GetLayer"/> works (the payload is in host memory).</summary>
    public bool IsHostResident => Entry.Buffer is IKvHostBlob;

    /// <summary>Layer <paramref name="layer"/> in place, without a copy.</summary>
    /// <exception cref="NotSupportedException">The payload is not in host memory; use <see cref="CopyLayerTo"/>.</exception>
    public ReadOnlySpan<byte> GetLayer(int layer) => Entry.Buffer is IKvHostBlob host
        ? host.GetLayer(layer)
        : throw new NotSupportedException($"Entry {Key} lives in '{Buffer.GetType().Name}' memory, not host memory; copy layers out with CopyLayerTo.");

    /// <inheritdoc />
    public void CopyLayerTo(int layer, Span<byte> destination) => Entry.Buffer.CopyLayerTo(layer, destination);

    /// <summary>Releases this reader's reference.</summary>
    public void Dispose() => Interlocked.Exchange(ref _entry, null)?.Release();

    private ResidentEntry Entry => _entry ?? throw new ObjectDisposedException(nameof(KvLease), $"The lease on cache entry {Key} was disposed.");
}
