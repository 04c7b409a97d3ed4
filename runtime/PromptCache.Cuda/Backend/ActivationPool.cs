using PromptCache.Cuda.Device;
using PromptCache.Cuda.Interop;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// Activation memory handed out by <c>Allocate</c>. Freed blocks are kept by size and handed out
/// again, because cuMemFree synchronises the whole device and cuMemAlloc is slow: a cached call
/// that allocated and freed its buffers every time would pay both on every request.
/// </summary>
internal sealed class ActivationPool : IDisposable
{
    private readonly CudaDevice _device;
    private readonly Dictionary<ulong, DeviceMemory> _live = new();
    private readonly Dictionary<long, Stack<DeviceMemory>> _free = new();

    public ActivationPool(CudaDevice device) => _device = device;

    /// <summary>Bytes currently parked in the free lists.</summary>
    public long PooledBytes { get; private set; }

    public ulong Rent(long bytes)
    {
        // Round up so nearby sizes share blocks (2 MiB granularity above 2 MiB, 256 B below).
        long rounded = bytes > (2 << 20) ? (bytes + (2 << 20) - 1) / (2 << 20) * (2 << 20) : Math.Max(256, (bytes + 255) / 256 * 256);
        DeviceMemory memory;
        if (_free.TryGetValue(rounded, out var stack) && stack.Count > 0)
        {
            memory = stack.Pop();
            PooledBytes -= rounded;
        }
        else
        {
            memory = _device.Allocate(rounded);
        }
        _live[memory.Pointer] = memory;
        return memory.Pointer;
    }

    /// <summary>Takes back a block; returns its size in bytes.</summary>
    public long Return(ulong pointer)
    {
        if (!_live.Remove(pointer, out var memory))
            throw new ArgumentException($"0x{pointer:x} was not allocated by this CUDA backend (or was freed twice).", nameof(pointer));
        if (!_free.TryGetValue(memory.Bytes, out var stack)) _free[memory.Bytes] = stack = new Stack<DeviceMemory>();
        stack.Push(memory);
        PooledBytes += memory.Bytes;
        return memory.Bytes;
    }

    /// <summary>Frees the parked blocks.</summary>
    public void Trim()
    {
        foreach (var stack in _free.Values)
            while (stack.Count > 0) stack.Pop().Dispose();
        PooledBytes = 0;
    }

    public void Dispose()
    {
        Trim();
        foreach (var m in _live.Values) m.Dispose();
        _live.Clear();
    }
}
