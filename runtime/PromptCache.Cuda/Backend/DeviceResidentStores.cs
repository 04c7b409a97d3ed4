using System.Runtime.CompilerServices;
using PromptCache.Cuda.Device;
using PromptCache.Cuda.Interop;
using PromptCache.Runtime.Backends;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// Device copies of small host arrays the model passes by reference on every call (norm weights,
/// biases) and of the per-call RoPE tables, uploaded on first sight and dropped with their host object.
/// </summary>
internal sealed unsafe class DeviceResidentStores
{
    private readonly CudaDevice _device;
    private readonly ConditionalWeakTable<float[], DeviceMemory> _vectors = new();
    private readonly ConditionalWeakTable<RopeTable, DeviceRope> _ropes = new();

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

    /// <summary>The device copy of a RoPE table: cos then sin, each [tokens × half].</summary>
    public (ulong Cos, ulong Sin) Rope(RopeTable table)
    {
        if (!_ropes.TryGetValue(table, out var rope))
        {
            long bytes = (long)table.Cos.Length * sizeof(float);
            var memory = _device.Allocate(2 * bytes);
            _device.Upload<float>(memory.Pointer, table.Cos);
            _device.Upload<float>(memory.Pointer + (ulong)bytes, table.Sin);
            rope = new DeviceRope(memory, bytes);
            _ropes.AddOrUpdate(table, rope);
        }
        return (rope.Memory.Pointer, rope.Memory.Pointer + (ulong)rope.SinOffset);
    }

    /// <summary>Frees everything now instead of waiting for the host objects to be collected.</summary>
    public void Clear()
    {
        foreach (var pair in _vectors) pair.Value.Dispose();
        foreach (var pair in _ropes) pair.Value.Memory.Dispose();
        _vectors.Clear();
        _ropes.Clear();
    }

    private sealed record DeviceRope(DeviceMemory Memory, long SinOffset);
}
