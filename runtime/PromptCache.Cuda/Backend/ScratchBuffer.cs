using PromptCache.Cuda.Device;
using PromptCache.Cuda.Interop;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// A device buffer reused across calls and grown on demand. Safe to reuse between kernels because
/// every launch goes to one stream in order.
/// </summary>
internal sealed class ScratchBuffer : IDisposable
{
    private readonly CudaDevice _device;
    private DeviceMemory? _memory;

    public ScratchBuffer(CudaDevice device) => _device = device;

    /// <summary>A device pointer to at least <paramref name="bytes"/> bytes.</summary>
    public ulong Get(long bytes)
    {
        if (_memory is null || _memory.Bytes < bytes)
        {
            long previous = _memory?.Bytes ?? 0;
            // Kernels queued earlier may still read the old block.
            if (_memory is not null) _device.Synchronize();
            _memory?.Dispose();
            _memory = null;
            // Grow by half again so a slowly rising size does not reallocate every call.
            _memory = _device.Allocate(Math.Max(bytes, previous * 3 / 2));
        }
        return _memory.Pointer;
    }

    public void Dispose()
    {
        _memory?.Dispose();
        _memory = null;
    }
}
