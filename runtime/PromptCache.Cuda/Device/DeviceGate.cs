using System.Collections.Concurrent;

namespace PromptCache.Cuda.Device;

/// <summary>
/// The lock of one GPU, shared by every backend on it (they share its primary context). A recording of
/// one backend's stream into a CUDA graph spans several of its calls; a driver call made meanwhile by
/// another backend (an allocation, a module load, a free) can invalidate it (measured on the H100:
/// CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, the recorded work lost). So each call holds this gate and
/// first launches whatever another backend has recorded (<see cref="Claim"/>). The cost is that backends
/// on one GPU issue their work one at a time, which the GPU runs in turn anyway.
/// </summary>
internal sealed class DeviceGate
{
    private static readonly ConcurrentDictionary<int, DeviceGate> Gates = new();

    /// <summary>The gate of the GPU with this ordinal.</summary>
    public static DeviceGate For(int ordinal) => Gates.GetOrAdd(ordinal, _ => new DeviceGate());

    /// <summary>The device (one backend's stream) being recorded, or null. Read and written under the gate.</summary>
    public CudaDevice? Recording { get; set; }

    /// <summary>Under the gate: launches another device's recording, so that what <paramref name="device"/> does next cannot invalidate it.</summary>
    public void Claim(CudaDevice device)
    {
        if (Recording is { } other && other != device) other.BreakCapture();
    }
}
