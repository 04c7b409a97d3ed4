using System.Runtime.CompilerServices;
using PromptCache.Cuda.Interop;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cuda.Backend;

// K/V segments on the device: the store, device copies and their budget, loads from host memory, the copy-back.
public sealed unsafe partial class CudaBackend
{
    /// <summary>Benchmarks only: the asynchronous write-back's bytes, drain wait and copy time (see HostWriteBack.Stats).</summary>
    internal (long Bytes, long WaitTicks, long CopyTicks) WriteBackStats => _writeBack.Stats;

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.KvHostWriteBack"/> and <see cref="CudaBackendOptions.AsyncHostWriteBack"/>.</summary>
    internal (bool Enabled, bool Asynchronous)? HostWriteBackOverride { get; set; }

    private (bool Enabled, bool Asynchronous) WriteBackMode => HostWriteBackOverride ?? (Options.KvHostWriteBack, Options.AsyncHostWriteBack);

    /// <summary>Value projections written straight into a segment's device copy (checks: the path ran).</summary>
    internal long ValuesProjectedIntoSegments { get; private set; }

    /// <inheritdoc />
    public void StoreKv(KvSegment segment, int layer, int start, float* k, float* v, int m)
    {
        using (Enter())
        {
            using var chunk = Recorded();
            var (writeBack, asynchronous) = WriteBackMode;
            writeBack &= segment.HostWriteBack;
            bool f32Rows = writeBack && segment.DataType == KvDataType.F32; // the host copy-back reads k's and v's f32 rows
            // The value projection, if still held, writes V into the segment itself (taken before Begin launches it).
            HeldGemm? projection = !f32Rows && _heldGemm is { } h && h.Y == (ulong)v && h.M == m && h.Rows == segment.KvDim ? h : null;
            if (projection is not null) _heldGemm = null;
            Begin();
            // K's RoPE, if deferred, is applied by the store itself.
            var rope = f32Rows ? null : _deferredRopes.Covering((ulong)k, m, segment.KvHeadCount, segment.HeadDim / 2);
            if (rope is null) Reading((ulong)k, (long)m * segment.KvDim);
            if (projection is null) Reading((ulong)v, (long)m * segment.KvDim);
            var mirror = Mirror(segment);
            if (mirror.Valid < start) SyncFromHost(segment, mirror);
            Grow(mirror, Math.Max(start + m, segment.Capacity));
            long rowBytes = (long)segment.KvDim * sizeof(ushort);
            ulong kDst = mirror.Keys(layer) + (ulong)(start * rowBytes);
            ulong vDst = mirror.Values(layer) + (ulong)(start * rowBytes);
            ulong vSource = (ulong)v;
            if (projection is { } p)
            {
                if (TunedPrefillGemms)
                    _ltGemm.Run(p.Weights, p.Rows, p.Cols, p.Xb, p.M, vDst, () => GemmEx(p.Weights, p.Rows, p.Cols, p.Xb, p.M, vDst, Cublas.R16BF), Cublas.R16BF);
                else
                    GemmEx(p.Weights, p.Rows, p.Cols, p.Xb, p.M, vDst, Cublas.R16BF);
                ValuesProjectedIntoSegments++;
                vSource = 0;
            }
            if (rope is var (record, firstRow)
                && DeviceKernels.RopeStoreKvFits(record.Heads, record.Half, record.Interleaved, (ulong)k, (ulong)v, kDst, vDst))
            {
                var (cos, sin) = record.TablesFrom(firstRow);
                _kernels.RopeStoreKv((ulong)k, vSource, kDst, vDst, cos, sin, m, record.Heads, record.Half, record.Interleaved);
                RotatingStores++;
            }
            else
            {
                if (rope is not null) Reading((ulong)k, (long)m * segment.KvDim);
                if (vSource != 0) _kernels.StoreKvBf16((ulong)k, vSource, kDst, vDst, (long)m * segment.KvDim);
                else _kernels.ConvertF32ToBf16((ulong)k, kDst, (long)m * segment.KvDim);
            }
            mirror.Stored = start + m;
            if (layer == segment.LayerCount - 1) mirror.Valid = start + m;
            if (!writeBack) mirror.HostStale = true;
            if (writeBack && asynchronous && _device.Capturing && segment.DataType != KvDataType.F32)
            {
                // Copied back from the device copy once this chunk is launched (f32 rows come from k and v,
                // which the next layer overwrites, so those end the chunk instead).
                _writeBack.Expect(segment);
                _deferredWriteBacks.Add((segment, mirror, layer, start, m));
            }
            else if (writeBack && asynchronous) QueueWriteBack(segment, layer, start, m, k, v, kDst, vDst);
            else if (writeBack) WriteBack(segment, layer, start, m, k, v, kDst, vDst);
        }
    }

    /// <summary>Frees the device copy of <paramref name="segment"/> now (it is otherwise freed when the segment is collected).</summary>
    public void Release(KvSegment segment)
    {
        using (Enter())
        {
            Begin();
            if (_kv.TryGetValue(segment, out var mirror))
            {
                _kv.Remove(segment);
                _device.Synchronize(); // queued attention kernels may still read it
                mirror.Dispose();
            }
        }
    }

    /// <summary>Device bytes held for <paramref name="segment"/>, or 0 when it has no device copy.</summary>
    public long DeviceBytes(KvSegment segment) => _kv.TryGetValue(segment, out var m) ? m.Bytes : 0;

    private DeviceKvSegment Mirror(KvSegment segment)
    {
        if (_kv.TryGetValue(segment, out var mirror))
        {
            _budget.Touch(mirror);
        }
        else
        {
            mirror = WithDeviceMemory(() => new DeviceKvSegment(_device, segment.LayerCount, segment.KvDim, segment.Capacity));
            _kv.AddOrUpdate(segment, mirror);
            _budget.Touch(mirror); // before the budget check: the forward in flight needs it
            KeepToBudget();
        }
        // No clamping to segment.Count: during a forward the new tokens are written (Valid advances
        // at the last layer) before the segment commits them. After a Truncate the stale tail is
        // simply never read (attention reads block.Visible tokens) and the next append overwrites it.
        return mirror;
    }

    // Grows a device copy, keeping to the budget (the grown copy belongs to the current call, so others go).
    private void Grow(DeviceKvSegment mirror, int tokens)
    {
        if (tokens <= mirror.Capacity) return;
        WithDeviceMemory(() =>
        {
            mirror.EnsureCapacity(tokens);
            return mirror;
        });
        KeepToBudget();
    }

    private void KeepToBudget()
    {
        if (_budget.Bytes > 0) Evict(_budget.Bytes);
    }

    // An allocation that finds the device full drops every idle K/V copy and tries once more.
    private T WithDeviceMemory<T>(Func<T> allocate)
    {
        try
        {
            return allocate();
        }
        catch (CudaException e) when (e.Code == CuDriver.ErrorOutOfMemory && e.Library == CudaCheck.DriverLibrary)
        {
            if (Evict(0) == 0) throw;
            return allocate();
        }
    }

    // Drops device K/V copies (DeviceKvBudget picks them) down to `limit` bytes, or every idle one for 0.
    // The host copy must be current first: with write-back it is once the queued copies land (the drop
    // does not need them: they read the staging ring); rows stored without it are saved now.
    private int Evict(long limit)
    {
        var victims = _budget.Victims(_kv.Select(pair => (pair.Key, pair.Value.Bytes, pair.Value.LastUse)), limit);
        if (victims.Count == 0) return 0;
        _device.Synchronize(); // queued kernels may still read them
        foreach (var segment in victims)
        {
            if (!_kv.TryGetValue(segment, out var mirror)) continue;
            // A disposed segment's device copy is all that is left of it, and nobody can read it again.
            if (mirror.HostStale && !segment.IsBorrowed && !segment.IsDisposed) SaveMirror(segment, mirror);
            _kv.Remove(segment);
            mirror.Dispose();
        }
        return victims.Count;
    }

    /// <summary>
    /// Drops every device K/V copy that no forward in flight uses, as the device tier's budget would: their
    /// segments keep their host bytes (saved first where they were not written back) and are loaded again,
    /// layer by layer, when next attended to. Frees GPU memory at once, e.g. before another process needs it;
    /// the benchmarks use it to time the host tier. Returns how many copies went.
    /// </summary>
    public int DropDeviceKvCopies()
    {
        using (Enter())
        {
            Begin();
            return Evict(0); // a forward's logits read ends its call, so only one still running keeps its copies
        }
    }

    /// <summary>Device bytes held by K/V copies of segments (the device tier).</summary>
    public long DeviceKvBytes
    {
        get
        {
            using (Enter()) return _kv.Sum(pair => pair.Value.Bytes);
        }
    }

    /// <summary>Device K/V copies dropped to keep to <see cref="CudaBackendOptions.DeviceKvBudgetBytes"/> or to make room.</summary>
    public long DeviceKvEvictions
    {
        get
        {
            using (Enter()) return _budget.Evictions;
        }
    }

    // Tokens that exist only in host memory (computed on the CPU, loaded from disk): upload all
    // valid tokens and convert them to bf16 on the device.
    private void SyncFromHost(KvSegment segment, DeviceKvSegment mirror)
    {
        int count = segment.Count;
        if (count == 0) return;
        Grow(mirror, count);
        long values = (long)count * segment.KvDim;
        var bytes = new byte[segment.LayerByteCount];
        for (int layer = 0; layer < segment.LayerCount; layer++)
        {
            segment.CopyLayerTo(layer, bytes);
            long half = bytes.Length / 2;
            fixed (byte* p = bytes)
            {
                if (segment.DataType == KvDataType.BF16)
                {
                    _device.Upload(mirror.Keys(layer), p, half);
                    _device.Upload(mirror.Values(layer), p + half, half);
                    continue;
                }
                ulong staging = _staging.Get(bytes.Length);
                _device.Upload(staging, p, bytes.Length);
                ConvertToBf16(segment.DataType, staging, mirror.Keys(layer), values);
                ConvertToBf16(segment.DataType, staging + (ulong)half, mirror.Values(layer), values);
            }
        }
        mirror.Valid = count;
    }

    // Queues every layer's K and V on the copy stream, one event per layer; the compute stream waits
    // per layer in Attention, so layer l's attention overlaps the copies of the layers after it. bf16 rows
    // land in the device copy as they are; f16 and f32 rows land in a staging block and are converted into
    // it by a kernel on the copy stream (the stream's order keeps one layer's staging from the next's).
    private void LoadLayerwise(KvSegment segment, DeviceKvSegment mirror)
    {
        int count = segment.Count;
        if (count == 0) return;
        segment.WaitForHostWrites(); // the host bytes must be current before they are uploaded
        BeginHostLoad(segment, mirror);
        var ready = new CudaEvent[segment.LayerCount];
        for (int layer = 0; layer < segment.LayerCount; layer++) ready[layer] = QueueLayerLoad(segment, mirror, layer);
        mirror.LayerReady = ready;
        mirror.Valid = count;
        LayerwiseLoads++;
    }

    // A segment whose host bytes are still being written layer by layer (a conversation's history, filled while the
    // turn's forward runs: KvSegment's layer gate, which the model passes for a layer before attending to it). Only
    // this layer is copied now; copying every layer at the first one, as LoadLayerwise does, would read layers the
    // fill has not written yet. Layers come in order; the device copy counts as valid after the last.
    private int LoadGatedLayer(KvSegment segment, DeviceKvSegment mirror, int layer)
    {
        int count = segment.Count;
        if (count == 0) return 0;
        if (layer == 0 || mirror.LayerReady is null)
        {
            if (layer != 0) throw new InvalidOperationException($"A segment filled layer by layer was first attended to at layer {layer}, not 0.");
            segment.WaitForHostWrites();
            BeginHostLoad(segment, mirror);
            mirror.LayerReady = new CudaEvent[segment.LayerCount];
        }
        _device.BreakCapture(); // the copy stream joins the compute stream by events: not recorded
        mirror.LayerReady[layer] = QueueLayerLoad(segment, mirror, layer);
        if (layer == segment.LayerCount - 1)
        {
            mirror.Valid = count;
            GatedLoads++;
        }
        return count;
    }

    /// <summary>Segments loaded one layer at a time behind their layer gate (tests: the path ran).</summary>
    internal long GatedLoads { get; private set; }

    // Sizes the device copy and the staging block for the segment's tokens, and makes the copy stream wait for what
    // the compute stream still does with the block (a grow copy).
    private void BeginHostLoad(KvSegment segment, DeviceKvSegment mirror)
    {
        _device.BreakCapture(); // the copy stream joins the compute stream by events: not recorded
        Grow(mirror, segment.Count);
        mirror.ClearLayerReady();
        LoadStaging(segment); // growing it synchronises: before this load's copies
        using var before = CudaEvent.Create(_device.Context);
        before.Record(_device.Stream);
        CudaCheck.Driver(CuDriver.cuStreamWaitEvent(_device.CopyStream.Value, before.Value, 0));
    }

    // The staging block one layer of f16/f32 rows passes through on its way to bf16 (0 for bf16 rows). Asked for at every
    // layer rather than kept: another segment's load may have grown (and so replaced) it since this load began; after
    // the first request for this size it is only looked up.
    private ulong LoadStaging(KvSegment segment) =>
        segment.DataType == KvDataType.BF16 ? 0 : _loadStaging.Get(2L * segment.Count * segment.KvDim * segment.ElementBytes);

    // Queues one layer's K and V on the copy stream (converted to bf16 through the staging block when stored as f16 or
    // f32); returns the event recorded once they are in.
    private CudaEvent QueueLayerLoad(KvSegment segment, DeviceKvSegment mirror, int layer)
    {
        var copy = _device.CopyStream;
        long values = (long)segment.Count * segment.KvDim, half = values * segment.ElementBytes;
        ulong staging = LoadStaging(segment);
        if (segment.DataType == KvDataType.BF16)
        {
            CudaCheck.Driver(CuDriver.cuMemcpyHtoDAsync(mirror.Keys(layer), SegmentKeys(segment, layer), (nuint)half, copy.Value));
            CudaCheck.Driver(CuDriver.cuMemcpyHtoDAsync(mirror.Values(layer), SegmentValues(segment, layer), (nuint)half, copy.Value));
        }
        else
        {
            CudaCheck.Driver(CuDriver.cuMemcpyHtoDAsync(staging, SegmentKeys(segment, layer), (nuint)half, copy.Value));
            CudaCheck.Driver(CuDriver.cuMemcpyHtoDAsync(staging + (ulong)half, SegmentValues(segment, layer), (nuint)half, copy.Value));
            ConvertToBf16(segment.DataType, staging, mirror.Keys(layer), values, copy);
            ConvertToBf16(segment.DataType, staging + (ulong)half, mirror.Values(layer), values, copy);
        }
        var ready = CudaEvent.Create(_device.Context);
        CudaCheck.Driver(CuDriver.cuEventRecord(ready.Value, copy.Value));
        return ready;
    }

    /// <summary>Segments loaded from host memory layer by layer (tests: the path ran).</summary>
    internal long LayerwiseLoads { get; private set; }

    // f16 or f32 values to bf16, on `stream` (default: the compute stream).
    private void ConvertToBf16(KvDataType from, ulong source, ulong target, long values, CudaStream? stream = null)
    {
        if (from == KvDataType.F32) _kernels.ConvertF32ToBf16(source, target, values, stream);
        else _kernels.ConvertF16ToBf16(source, target, values, stream);
    }

    /// <summary>
    /// Page-locks the host memory of <paramref name="segment"/> (cuMemHostRegister) so loads from it
    /// run asynchronously at full PCIe rate. Call <see cref="UnpinHostMemory"/> before the segment is
    /// disposed or grown. Returns false when the driver refuses (loads still work, synchronously).
    /// </summary>
    public bool PinHostMemory(KvSegment segment) => Register(SegmentKeys(segment, 0), segment.BytesPerToken * segment.Capacity) == 0;

    /// <summary>Undoes <see cref="PinHostMemory(KvSegment)"/>.</summary>
    public void UnpinHostMemory(KvSegment segment) => Unregister(SegmentKeys(segment, 0));

    /// <inheritdoc />
    /// <remarks>
    /// cuMemHostRegister. Page-locking costs time once (H100 machine: ~72 ms per GiB of pages already
    /// touched, RESULTS.md session 17), so it suits memory that stays, like warmed modules, not a
    /// request's own K/V. Pinned pages cannot be swapped out: they count against the host's RAM for good.
    /// </remarks>
    public IDisposable? PinHostMemory(void* address, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        if (address is null) throw new ArgumentNullException(nameof(address));
        int status = Register((byte*)address, bytes);
        if (status == 0) return new HostRegistration(this, (byte*)address, bytes);
        Interlocked.Increment(ref _pinRefusals);
        LastPinError = $"cuMemHostRegister of {bytes} bytes failed with CUDA error {status}";
        return null;
    }

    /// <summary>Requests to page-lock host memory that the driver refused (see <see cref="LastPinError"/>).</summary>
    public long PinRefusals => Interlocked.Read(ref _pinRefusals);

    private long _pinRefusals;

    /// <summary>Why the last refused request to page-lock host memory failed, or null.</summary>
    public string? LastPinError { get; private set; }

    /// <summary>Host bytes page-locked through <see cref="PinHostMemory(void*, long)"/> now.</summary>
    public long PinnedHostBytes => Interlocked.Read(ref _pinnedHostBytes);

    private long _pinnedHostBytes;

    private int Register(byte* address, long bytes)
    {
        using (Enter())
        {
            Begin();
            _device.BreakCapture(); // registering may synchronise the device, which would invalidate a recording
            _device.MakeCurrent();
            return CuDriver.cuMemHostRegister(address, (nuint)bytes, 0);
        }
    }

    private void Unregister(byte* address)
    {
        using (Enter())
        {
            if (_disposed) return; // the context went with the backend, and its registrations with it
            Begin();
            _device.Synchronize(); // a queued copy may still read the pages
            CudaCheck.Driver(CuDriver.cuMemHostUnregister(address));
        }
    }

    // Undoes one registration, once.
    private sealed class HostRegistration : IDisposable
    {
        private readonly CudaBackend _backend;
        private readonly nint _address;
        private readonly long _bytes;
        private int _disposed;

        public HostRegistration(CudaBackend backend, byte* address, long bytes)
        {
            _backend = backend;
            _address = (nint)address;
            _bytes = bytes;
            Interlocked.Add(ref backend._pinnedHostBytes, bytes);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            Interlocked.Add(ref _backend._pinnedHostBytes, -_bytes);
            _backend.Unregister((byte*)_address);
        }
    }

    /// <summary>
    /// Copies the device K/V of <paramref name="segment"/> into its host memory, in its own storage
    /// type: to demote it to the host tier, or to save it when <see cref="CudaBackendOptions.KvHostWriteBack"/> is off.
    /// </summary>
    public void SaveToHost(KvSegment segment)
    {
        using (Enter())
        {
            Begin();
            if (!_kv.TryGetValue(segment, out var mirror)) return; // never on the device: the host copy is the only one
            SaveMirror(segment, mirror);
        }
    }

    private void SaveMirror(KvSegment segment, DeviceKvSegment mirror)
    {
        segment.WaitForHostWrites(); // a queued copy landing later would undo nothing, but keep the order plain
        long values = (long)Math.Min(segment.Count, mirror.Valid) * segment.KvDim;
        for (int layer = 0; layer < segment.LayerCount; layer++)
        {
            for (int kv = 0; kv < 2; kv++)
            {
                ulong source = kv == 0 ? mirror.Keys(layer) : mirror.Values(layer);
                byte* host = kv == 0 ? SegmentKeys(segment, layer) : SegmentValues(segment, layer);
                switch (segment.DataType)
                {
                    case KvDataType.BF16:
                        _device.Download(host, source, values * sizeof(ushort));
                        break;
                    case KvDataType.F32:
                        ulong f32 = _staging.Get(values * sizeof(float));
                        _kernels.ConvertBf16ToF32(source, f32, values);
                        _device.Download(host, f32, values * sizeof(float));
                        break;
                    default:
                        ulong f16 = _staging.Get(values * sizeof(ushort));
                        _kernels.ConvertBf16ToF16(source, f16, values);
                        _device.Download(host, f16, values * sizeof(ushort));
                        break;
                }
            }
        }
        if (mirror.Valid >= segment.Count) mirror.HostStale = false;
    }

    // Keeps the host copy of the segment current, in its own storage type.
    private void WriteBack(KvSegment segment, int layer, int start, int m, float* k, float* v, ulong kBf16, ulong vBf16)
    {
        long values = (long)m * segment.KvDim;
        long offset = (long)start * segment.KvDim * segment.ElementBytes;
        byte* hostK = SegmentKeys(segment, layer) + offset;
        byte* hostV = SegmentValues(segment, layer) + offset;
        segment.WaitForHostWrites(); // an earlier asynchronous copy may still target these rows
        switch (segment.DataType)
        {
            case KvDataType.F32:
                _device.Download(hostK, (ulong)k, values * sizeof(float));
                _device.Download(hostV, (ulong)v, values * sizeof(float));
                break;
            case KvDataType.BF16:
                _device.Download(hostK, kBf16, values * sizeof(ushort));
                _device.Download(hostV, vBf16, values * sizeof(ushort));
                break;
            default:
                ulong staging = _staging.Get(2 * values * sizeof(ushort));
                _kernels.ConvertBf16ToF16(kBf16, staging, values);
                _kernels.ConvertBf16ToF16(vBf16, staging + (ulong)(values * sizeof(ushort)), values);
                _device.Download(hostK, staging, values * sizeof(ushort));
                _device.Download(hostV, staging + (ulong)(values * sizeof(ushort)), values * sizeof(ushort));
                break;
        }
    }

    // Queues the new rows' copy back to host memory (HostWriteBack): they go into the staging ring in the
    // segment's storage type, on the compute stream and in order with the kernels that wrote them.
    // expected: announced while its chunk was recorded (k and v are then gone; the type is not f32).
    private void QueueWriteBack(KvSegment segment, int layer, int start, int m, float* k, float* v, ulong kBf16, ulong vBf16, bool expected = false)
    {
        long values = (long)m * segment.KvDim, half = values * segment.ElementBytes;
        long offset = (long)start * segment.KvDim * segment.ElementBytes;
        _device.BreakCapture(); // the copy-back joins another stream by events: runs directly
        var staging = _writeBack.Reserve(2 * half);
        ulong kStage = staging.Device, vStage = staging.Device + (ulong)half;
        switch (segment.DataType)
        {
            case KvDataType.F32:
                _device.Copy(kStage, (ulong)k, half);
                _device.Copy(vStage, (ulong)v, half);
                break;
            case KvDataType.BF16:
                _device.Copy(kStage, kBf16, half);
                _device.Copy(vStage, vBf16, half);
                break;
            default:
                _kernels.ConvertBf16ToF16(kBf16, kStage, values);
                _kernels.ConvertBf16ToF16(vBf16, vStage, values);
                break;
        }
        _writeBack.Queue(staging, segment, SegmentKeys(segment, layer) + offset, SegmentValues(segment, layer) + offset, half, expected);
    }

    // Rows stored inside the chunk being recorded whose copy-back waits for its launch. Holding the device
    // copy keeps it alive; anything that frees or moves one synchronises first, which launches the chunk.
    private readonly List<(KvSegment Segment, DeviceKvSegment Mirror, int Layer, int Start, int Rows)> _deferredWriteBacks = new();

    // After a chunk's launch: stage its stored rows from the device copy (stream-ordered after the chunk)
    // and queue their copies; if the chunk never ran, readers of those segments get the error instead.
    private void QueueDeferredWriteBacks(Exception? chunkFailure)
    {
        if (_deferredWriteBacks.Count == 0) return;
        var items = _deferredWriteBacks.ToArray();
        _deferredWriteBacks.Clear();
        Exception? failure = chunkFailure;
        foreach (var (segment, mirror, layer, start, rows) in items)
        {
            if (failure is not null)
            {
                _writeBack.Abandon(segment, failure);
                continue;
            }
            try
            {
                ulong offset = (ulong)((long)start * segment.KvDim * sizeof(ushort));
                QueueWriteBack(segment, layer, start, rows, null, null, mirror.Keys(layer) + offset, mirror.Values(layer) + offset, expected: true);
            }
            catch (Exception e)
            {
                _writeBack.Abandon(segment, e);
                failure = e;
            }
        }
        if (chunkFailure is null && failure is not null) throw failure;
    }

    // A reader waits for copies still expected: launch the chunk that holds their rows.
    private void LaunchRecordedChunk()
    {
        using (Enter())
        {
            if (!_disposed) _device.BreakCapture();
        }
    }

    // KvSegment keeps its storage accessors internal to the runtime; until the seam exposes a
    // storage hook (see notes/cuda-seam.md) the backend reaches them directly. The in-flight variants do
    // not wait for this backend's own queued copies; callers that read host bytes wait explicitly.
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "KeysInFlight")]
    private static extern byte* SegmentKeys(KvSegment segment, int layer);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "ValuesInFlight")]
    private static extern byte* SegmentValues(KvSegment segment, int layer);

    // The segment's layer gate (KvSegment.SetLayerGate): set while its host bytes are still being filled.
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_layerGate")]
    private static extern ref Action<int, CancellationToken>? LayerGate(KvSegment segment);
}
