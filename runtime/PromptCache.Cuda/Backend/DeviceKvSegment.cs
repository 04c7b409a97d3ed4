using PromptCache.Cuda.Device;
using PromptCache.Cuda.Interop;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// The device copy of one <c>KvSegment</c>: bf16 K and V in the segment's own layout,
/// <c>[layer][K|V][capacity][kv_heads·head_dim]</c>, so attention reads it in place.
/// </summary>
internal sealed class DeviceKvSegment : IDisposable
{
    private readonly CudaDevice _device;
    private DeviceMemory _memory;

    public DeviceKvSegment(CudaDevice device, int layers, int kvDim, int capacity)
    {
        _device = device;
        Layers = layers;
        KvDim = kvDim;
        Capacity = Math.Max(capacity, 1);
        _memory = device.Allocate(BytesFor(Capacity));
    }

    public int Layers { get; }

    /// <summary>The call that last used this copy (<see cref="DeviceKvBudget"/>'s clock).</summary>
    public long LastUse { get; set; }

    public int KvDim { get; }

    public int Capacity { get; private set; }

    /// <summary>
    /// Whether rows were stored here without being copied back to the segment's host memory (its
    /// <c>HostWriteBack</c> off, or the backend's): the host bytes must be saved from this copy before it is dropped.
    /// </summary>
    public bool HostStale { get; set; }

    /// <summary>Leading tokens whose device copy is current (or queued to be, see <see cref="LayerReady"/>).</summary>
    public int Valid { get; set; }

    /// <summary>
    /// Leading tokens stored by the forward pass in flight for the layer it is on (StoreKv precedes that
    /// layer's attention). A causal block may see them before <see cref="Valid"/> moves at the last layer:
    /// with position-causal attention the model splits a chunk's rows into groups, and a later group sees
    /// the chunk's earlier rows.
    /// </summary>
    public int Stored { get; set; }

    /// <summary>
    /// While a layer-wise load from host memory is in flight: one event per layer, recorded on the
    /// copy stream after that layer's K and V arrived. Attention of layer l waits for event l only.
    /// </summary>
    public CudaEvent[]? LayerReady { get; set; }

    /// <summary>Drops the load events (the device frees each once it has completed).</summary>
    public void ClearLayerReady()
    {
        if (LayerReady is null) return;
        foreach (var e in LayerReady) e?.Dispose(); // a gated load may not have reached every layer
        LayerReady = null;
    }

    /// <summary>Device bytes held.</summary>
    public long Bytes => _memory.Bytes;

    private long BytesFor(int capacity) => 2L * Layers * capacity * KvDim * sizeof(ushort);

    /// <summary>The first key of <paramref name="layer"/>.</summary>
    public ulong Keys(int layer) => _memory.Pointer + (ulong)(2L * layer * Capacity * KvDim * sizeof(ushort));

    /// <summary>The first value of <paramref name="layer"/>.</summary>
    public ulong Values(int layer) => Keys(layer) + (ulong)((long)Capacity * KvDim * sizeof(ushort));

    /// <summary>Grows to at least <paramref name="tokens"/>, keeping the valid ones (device-to-device copies).</summary>
    public void EnsureCapacity(int tokens)
    {
        if (tokens <= Capacity) return;
        int newCapacity = Math.Max(tokens, Capacity * 2);
        var bigger = _device.Allocate(BytesFor(newCapacity));
        long rowBytes = (long)KvDim * sizeof(ushort);
        for (int layer = 0; layer < Layers; layer++)
        {
            for (int kv = 0; kv < 2; kv++)
            {
                ulong from = _memory.Pointer + (ulong)((2L * layer + kv) * Capacity * rowBytes);
                ulong to = bigger.Pointer + (ulong)((2L * layer + kv) * newCapacity * rowBytes);
                _device.Copy(to, from, Valid * rowBytes);
            }
        }
        // The copies (and earlier attention kernels) read the old block: let them finish before freeing it.
        _device.Synchronize();
        _memory.Dispose();
        _memory = bigger;
        Capacity = newCapacity;
    }

    public void Dispose()
    {
        ClearLayerReady();
        _memory.Dispose();
    }
}
