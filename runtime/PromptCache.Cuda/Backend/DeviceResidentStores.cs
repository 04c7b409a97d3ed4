using System.Runtime.CompilerServices;
using PromptCache.Cuda.Device;
using PromptCache.Cuda.Interop;
using PromptCache.Runtime.Backends;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// Device copies of small host arrays the model passes by reference on every call (norm weights,
/// biases) uploaded on first sight and dropped with their host object, and the RoPE table of the current call.
/// </summary>
internal sealed unsafe class DeviceResidentStores
{
    private readonly CudaDevice _device;
    private readonly ConditionalWeakTable<float[], DeviceMemory> _vectors = new();
    private DeviceMemory? _ropeBuffer;
    private RopeTable? _lastRope;

    public DeviceResidentStores(CudaDevice device) => _device = device;

    /// <summary>The device copy of <paramref name="values"/> (float32).</summary>
    public ulong Vector(float[] values)
    {
        if (_vectors.TryGetValue(values, out var existing)) return existing.Pointer;
        var memory = _device.Allocate((long)values.Length * sizeof(float));
        _device.Upload<float>(memory.Pointer, values);
        _vectors.AddOrUpdate(values, memory);
        return memory.Pointer;
    }

    /// <summary>
    /// The device copy of a RoPE table: cos then sin, each [tokens × half]. A table lives for one
    /// forward chunk and is used by every layer, so one reusable buffer holding the latest table is
    /// enough (and avoids freeing device memory per call, which would synchronise the device).
    /// </summary>
    public (ulong Cos, ulong Sin) Rope(RopeTable table)
    {
        long bytes = (long)table.Cos.Length * sizeof(float);
        if (!ReferenceEquals(table, _lastRope) || _ropeBuffer is null || _ropeBuffer.Bytes < 2 * bytes)
        {
            if (_ropeBuffer is null || _ropeBuffer.Bytes < 2 * bytes)
            {
                if (_ropeBuffer is not null) _device.Synchronize();
                _ropeBuffer?.Dispose();
                _ropeBuffer = _device.Allocate(Math.Max(2 * bytes, 1 << 20));
            }
            // Same stream as the kernels: the copy waits for the ones still reading the previous table.
            _device.Upload<float>(_ropeBuffer.Pointer, table.Cos.Span);
            _device.Upload<float>(_ropeBuffer.Pointer + (ulong)bytes, table.Sin.Span);
            _lastRope = table;
        }
        return (_ropeBuffer.Pointer, _ropeBuffer.Pointer + (ulong)bytes);
    }

    /// <summary>Frees everything now instead of waiting for the host objects to be collected.</summary>
    public void Clear()
    {
        foreach (var pair in _vectors) pair.Value.Dispose();
        _vectors.Clear();
        _ropeBuffer?.Dispose();
        _ropeBuffer = null;
        _lastRope = null;
    }
}
