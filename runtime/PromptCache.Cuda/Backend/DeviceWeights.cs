using PromptCache.Cuda.Device;
using PromptCache.Cuda.Interop;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Models;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// Weight matrices on the device in bf16, uploaded once on first use and found again by the host
/// address of the stored tensor (a memory-mapped model file does not move while it is open).
/// Matrices created on the device (<see cref="CreateRandom"/>) are registered under their device address.
/// </summary>
internal sealed unsafe class DeviceWeights : IDisposable
{
    private readonly CudaDevice _device;
    private readonly DeviceKernels _kernels;
    private readonly Dictionary<nint, Entry> _entries = new();

    public DeviceWeights(CudaDevice device, DeviceKernels kernels)
    {
        _device = device;
        _kernels = kernels;
    }

    /// <summary>Device bytes held by weights.</summary>
    public long Bytes { get; private set; }

    /// <summary>The bf16 device copy of <paramref name="w"/>, uploading it on first use.</summary>
    public ulong Get(in WeightTensor w)
    {
        if (_entries.TryGetValue((nint)w.Data, out var e))
        {
            // Device-made matrices are keyed by their device address and have no host bytes to check.
            if (e.OnDevice || (e.Rows == w.Rows && e.Cols == w.Cols && e.Fingerprint == Fingerprint(w))) return e.Memory.Pointer;
            // Another model mapped at the address of an unmapped one: drop the stale copy.
            _entries.Remove((nint)w.Data);
            Bytes -= e.Memory.Bytes;
            e.Memory.Dispose();
        }
        var memory = Upload(w);
        _entries[(nint)w.Data] = new Entry(memory, w.Rows, w.Cols, Fingerprint(w), OnDevice: false);
        Bytes += memory.Bytes;
        return memory.Pointer;
    }

    private DeviceMemory Upload(in WeightTensor w)
    {
        long count = (long)w.Rows * w.Cols;
        var target = _device.Allocate(count * sizeof(ushort));
        try
        {
            if (w.Type == WeightType.BF16)
            {
                _device.Upload(target.Pointer, w.Data, w.TotalBytes);
                return target;
            }
            using var raw = _device.Allocate(w.TotalBytes);
            _device.Upload(raw.Pointer, w.Data, w.TotalBytes);
            switch (w.Type)
            {
                case WeightType.F32: _kernels.ConvertF32ToBf16(raw.Pointer, target.Pointer, count); break;
                case WeightType.F16: _kernels.ConvertF16ToBf16(raw.Pointer, target.Pointer, count); break;
                case WeightType.Q8_0:
                    if (w.Cols % 32 != 0) throw new InvalidDataException($"Q8_0 weight '{w.Name}' has {w.Cols} columns, not a multiple of 32.");
                    _kernels.DequantQ8_0(raw.Pointer, target.Pointer, w.Rows, w.Cols);
                    break;
                default: throw new NotSupportedException($"Weight '{w.Name}' has type {w.Type}, which the CUDA backend cannot upload.");
            }
            // The conversion reads `raw`, which is freed on leaving this scope: let it finish first.
            _device.Synchronize();
            return target;
        }
        catch
        {
            target.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A bf16 matrix filled on the device with uniform values in [-scale, scale) from <paramref name="seed"/>.
    /// The returned tensor's <see cref="WeightTensor.Data"/> is a device address: usable with this
    /// backend only, never dereferenced on the host.
    /// </summary>
    public WeightTensor CreateRandom(string name, int rows, int cols, ulong seed, float scale)
    {
        long count = (long)rows * cols;
        var memory = _device.Allocate(count * sizeof(ushort));
        _kernels.FillRandomBf16(memory.Pointer, count, seed, scale);
        _entries[(nint)memory.Pointer] = new Entry(memory, rows, cols, 0, OnDevice: true);
        Bytes += memory.Bytes;
        return new WeightTensor(name, (void*)memory.Pointer, WeightType.BF16, rows, cols);
    }

    public void Dispose()
    {
        foreach (var e in _entries.Values) e.Memory.Dispose();
        _entries.Clear();
        Bytes = 0;
    }

    // A cheap identity check of host weights: type, shape and the first and last 256 bytes.
    private static int Fingerprint(in WeightTensor w)
    {
        var hash = new HashCode();
        hash.Add(w.Type);
        hash.Add(w.Rows);
        hash.Add(w.Cols);
        int n = (int)Math.Min(256, w.TotalBytes);
        hash.AddBytes(new ReadOnlySpan<byte>(w.Data, n));
        hash.AddBytes(new ReadOnlySpan<byte>((byte*)w.Data + w.TotalBytes - n, n));
        return hash.ToHashCode();
    }

    private sealed record Entry(DeviceMemory Memory, int Rows, int Cols, int Fingerprint, bool OnDevice);
}
