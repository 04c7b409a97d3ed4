using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Keys;
using PromptCache.Runtime.Caching.Persistence;

namespace PromptCache.Runtime.Caching.Store;

/// <summary>
/// A load whose layers become usable one at a time, so the engine can run layer <c>l</c> while
/// layer <c>l+1</c> is still coming off disk. Each layer is handed out only after its own CRC
/// passed. If a later layer fails, <see cref="WaitForLayerAsync"/> answers false from that layer on:
/// the caller abandons the load and recomputes (the file is already reported and removed).
/// Dispose when done; the bytes stay valid until then.
/// </summary>
public sealed class KvLayerwiseLoad : IDisposable
{
    private readonly KvLease _lease;
    private readonly DiskPromotion? _promotion;

    internal KvLayerwiseLoad(KvLease lease, DiskPromotion? promotion)
    {
        _lease = lease;
        _promotion = promotion;
    }

    /// <summary>The entry's key.</summary>
    public KvCacheKey Key => _lease.Key;

    /// <summary>Shape and positions of the payload.</summary>
    public KvEntryMetadata Metadata => _lease.Metadata;

    /// <summary><see cref="KvTier.Memory"/> (every layer ready now) or <see cref="KvTier.Disk"/> (layers arrive in order).</summary>
    public KvTier Source => _lease.ServedFrom;

    /// <summary>Completes with true once every layer is loaded and verified, false if the load failed.</summary>
    public Task<bool> Completion => _promotion?.Completion.Task ?? Task.FromResult(true);

    /// <summary>Why the load failed (<see cref="KvFileProblem.None"/> while it has not).</summary>
    public KvFileProblem Problem => _promotion?.Problem ?? KvFileProblem.None;

    /// <summary>Waits until <paramref name="layer"/> is loaded and verified; false if the load failed before it.</summary>
    public ValueTask<bool> WaitForLayerAsync(int layer, CancellationToken cancellationToken = default)
    {
        Metadata.CheckLayer(layer);
        return _promotion is null
            ? ValueTask.FromResult(true)
            : new ValueTask<bool>(_promotion.Layers[layer].Task.WaitAsync(cancellationToken));
    }

    /// <summary>Whether <paramref name="layer"/> is loaded and verified.</summary>
    public bool IsLayerReady(int layer)
    {
        Metadata.CheckLayer(layer);
        return _promotion is null || _promotion.Layers[layer].Task is { IsCompletedSuccessfully: true, Result: true };
    }

    /// <summary>Layer <paramref name="layer"/> in place.</summary>
    /// <exception cref="InvalidOperationException">The layer is not ready (await <see cref="WaitForLayerAsync"/> first).</exception>
    public ReadOnlySpan<byte> GetLayer(int layer)
    {
        EnsureReady(layer);
        return _lease.GetLayer(layer);
    }

    /// <summary>Copies layer <paramref name="layer"/> out (works for device-resident buffers too).</summary>
    /// <exception cref="InvalidOperationException">The layer is not ready.</exception>
    public void CopyLayerTo(int layer, Span<byte> destination)
    {
        EnsureReady(layer);
        _lease.CopyLayerTo(layer, destination);
    }

    /// <summary>Releases the bytes.</summary>
    public void Dispose() => _lease.Dispose();

    private void EnsureReady(int layer)
    {
        if (!IsLayerReady(layer))
        {
            throw new InvalidOperationException($"Layer {layer} of cache entry {Key} is not loaded (yet); await WaitForLayerAsync({layer}) and check its result first.");
        }
    }
}
