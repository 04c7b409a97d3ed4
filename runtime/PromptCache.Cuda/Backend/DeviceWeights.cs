using PromptCache.Cuda.Device;
using PromptCache.Cuda.Interop;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Models;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// Weight matrices on the device in bf16, uploaded once on first use and found again by the host
/// address of the stored tensor (a memory-mapped model file does not move while it is open).
/// Matrices created on the device (<see cref="CreateRandom"/>) are registered under their device address.
/// Matrices that share their input (q/k/v, gate/up) can be placed back to back in one allocation
/// (<see cref="Coalesce"/>, <see cref="CreateRandomGroup"/>), so one GEMM over the concatenation
/// computes them all without a second copy of the weights.
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
            if (e.OnDevice || (e.Rows == w.Rows && e.Cols == w.Cols && e.Fingerprint == Fingerprint(w))) return e.Pointer;
            // Another model mapped at the address of an unmapped one: drop the stale copy.
            Remove((nint)w.Data, e);
        }
        var memory = Upload(w);
        _entries[(nint)w.Data] = new Entry(memory, memory.Pointer, w.Rows, w.Cols, Fingerprint(w), OnDevice: false);
        Bytes += memory.Bytes;
        return memory.Pointer;
    }

    // Drops one entry; its memory is freed once no other entry views it (a coalesced group).
    private void Remove(nint key, Entry e)
    {
        _entries.Remove(key);
        Bytes -= (long)e.Rows * e.Cols * sizeof(ushort);
        if (!_entries.Values.Any(x => ReferenceEquals(x.Memory, e.Memory))) e.Memory.Dispose();
    }

    /// <summary>
    /// Makes the bf16 matrices at device addresses <paramref name="members"/> (each <paramref name="cols"/>
    /// wide) lie back to back, in this order, in one allocation, and returns their new addresses (the
    /// same ones when they already do). Host-uploaded matrices are moved (copied on the device, the old
    /// allocations freed after a synchronize: a one-off cost per group); device-made ones are keyed by
    /// their address and cannot move, so for those null is returned unless they are already contiguous.
    /// </summary>
    public ulong[]? Coalesce(ReadOnlySpan<ulong> members, int cols)
    {
        var found = new (nint Key, Entry Entry)[members.Length];
        for (int i = 0; i < members.Length; i++)
        {
            bool any = false;
            foreach (var pair in _entries)
            {
                if (pair.Value.Pointer != members[i]) continue;
                found[i] = (pair.Key, pair.Value);
                any = true;
                break;
            }
            if (!any || found[i].Entry.Cols != cols) return null;
        }
        bool contiguous = true;
        for (int i = 1; i < found.Length; i++)
            contiguous &= found[i].Entry.Pointer == found[i - 1].Entry.Pointer + (ulong)((long)found[i - 1].Entry.Rows * cols * sizeof(ushort));
        if (contiguous) return members.ToArray();
        if (found.Any(f => f.Entry.OnDevice)) return null;
        long total = found.Sum(f => (long)f.Entry.Rows * cols * sizeof(ushort));
        var memory = _device.Allocate(total);
        var result = new ulong[found.Length];
        ulong at = memory.Pointer;
        _device.MakeCurrent();
        for (int i = 0; i < found.Length; i++)
        {
            long bytes = (long)found[i].Entry.Rows * cols * sizeof(ushort);
            CudaCheck.Driver(CuDriver.cuMemcpyDtoDAsync(at, found[i].Entry.Pointer, (nuint)bytes, _device.Stream.Value));
            result[i] = at;
            at += (ulong)bytes;
        }
        // Queued kernels and the copies still read the old allocations.
        _device.Synchronize();
        for (int i = 0; i < found.Length; i++)
        {
            var (key, old) = found[i];
            _entries[key] = old with { Memory = memory, Pointer = result[i] };
            if (!_entries.Values.Any(x => ReferenceEquals(x.Memory, old.Memory))) old.Memory.Dispose();
        }
        return result;
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
        _entries[(nint)memory.Pointer] = new Entry(memory, memory.Pointer, rows, cols, 0, OnDevice: true);
        Bytes += memory.Bytes;
        return new WeightTensor(name, (void*)memory.Pointer, WeightType.BF16, rows, cols);
    }

    /// <summary>
    /// As <see cref="CreateRandom"/> for matrices that share their input (q/k/v, gate/up): one
    /// allocation with the members back to back, each filled from its own seed (the same values as
    /// separate <see cref="CreateRandom"/> calls), each registered under its own device address.
    /// </summary>
    public WeightTensor[] CreateRandomGroup(ReadOnlySpan<(string Name, int Rows, ulong Seed)> members, int cols, float scale)
    {
        long total = 0;
        foreach (var m in members) total += (long)m.Rows * cols * sizeof(ushort);
        var memory = _device.Allocate(total);
        var result = new WeightTensor[members.Length];
        ulong at = memory.Pointer;
        for (int i = 0; i < members.Length; i++)
        {
            long count = (long)members[i].Rows * cols;
            _kernels.FillRandomBf16(at, count, members[i].Seed, scale);
            _entries[(nint)at] = new Entry(memory, at, members[i].Rows, cols, 0, OnDevice: true);
            result[i] = new WeightTensor(members[i].Name, (void*)at, WeightType.BF16, members[i].Rows, cols);
            at += (ulong)(count * sizeof(ushort));
        }
        Bytes += total;
        return result;
    }

    public void Dispose()
    {
        foreach (var memory in _entries.Values.Select(e => e.Memory).Distinct()) memory.Dispose();
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

    // Memory: the allocation (shared by the members of a coalesced group); Pointer: this matrix in it.
    private sealed record Entry(DeviceMemory Memory, ulong Pointer, int Rows, int Cols, int Fingerprint, bool OnDevice);
}
