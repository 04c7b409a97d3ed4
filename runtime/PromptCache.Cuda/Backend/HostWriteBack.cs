using System.Diagnostics;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using PromptCache.Cuda.Device;
using PromptCache.Cuda.Interop;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// Copies new K/V rows from the GPU into their segment's host memory without making the thread that
/// issues kernels wait (AttentionStore saves asynchronously too). A synchronous copy per layer would stall
/// that thread until the GPU reached the layer, so the GPU would then idle while the rest of the layer was
/// launched.
/// </summary>
/// <remarks>
/// Per layer: the backend writes the rows, in the segment's storage type, into a device staging ring on
/// the compute stream; a stream of our own copies them into the matching pinned host ring once the compute
/// stream passes that point; a drain thread waits for each copy and moves the bytes into the segment. The
/// segment is told (<see cref="KvSegment.SetPendingHostWrites"/>) so that reading, growing or freeing its
/// host bytes waits for the drain. The rings grow only while nothing is in flight; a full ring makes the
/// issuing thread wait for the drain (back-pressure, e.g. a long prefill outrunning PCIe). Rows stored
/// inside a recorded CUDA graph chunk are announced first (<see cref="Expect"/>) and queued once the
/// chunk is launched: the staging and the cross-stream wait cannot be recorded.
/// <para>What bounds a long prefill here is host memory, not PCIe: each byte lands in the pinned ring and is
/// then copied by the CPU into the segment's pageable pages (H100 machine, 7B shape at 8192 tokens: a 192 ms
/// prefill took 360 ms with the write-back). Copying straight into the segment would need its pages pinned,
/// and pinning costs ~72 ms per touched GiB and ~800 per fresh one there (benchmarks/Cuda/host_copy_probe.py,
/// RESULTS.md session 17): too much per request. The engine's request segments skip the write-back.</para>
/// </remarks>
internal sealed unsafe class HostWriteBack : IDisposable
{
    private const long InitialBytes = 64L << 20;
    private const long ParallelCopyBytes = 8L << 20; // above this a drained layer is copied by several threads

    private readonly CudaDevice _device;
    private readonly object _gate = new();
    private readonly BlockingCollection<Job> _jobs = new();
    private readonly ConditionalWeakTable<KvSegment, SegmentWrites> _segments = new();
    private StagingRing? _ring;
    private DeviceMemory? _deviceRing;
    private PinnedHostMemory? _hostRing;
    private CudaStream? _stream;
    private Thread? _drainer;
    private int _inFlight;
    private Exception? _failure;

    public HostWriteBack(CudaDevice device) => _device = device;

    /// <summary>Room to stage one layer's rows; fill <see cref="Reservation.Device"/> on the compute stream, then <see cref="Queue"/>.</summary>
    public readonly record struct Reservation(ulong Device, long Offset, long Span, long Bytes);

    /// <summary>Reserves <paramref name="bytes"/> of staging, waiting for the drain while the ring is full.</summary>
    public Reservation Reserve(long bytes)
    {
        lock (_gate)
        {
            ThrowIfFailed();
            if (_ring is null || bytes > _ring.Size) Grow(bytes);
            long offset, span;
            while (!_ring!.TryReserve(bytes, out offset, out span))
            {
                Monitor.Wait(_gate);
                ThrowIfFailed();
            }
            return new Reservation(_deviceRing!.Pointer + (ulong)offset, offset, span, bytes);
        }
    }

    /// <summary>
    /// Called by a reader of a segment's host bytes while copies into it are still only expected (see
    /// <see cref="Expect"/>): the backend launches the recorded work they wait for, which queues them.
    /// </summary>
    public Action? QueueExpected { get; set; }

    /// <summary>
    /// Announces a copy into <paramref name="segment"/> that is queued later, once the recorded CUDA graph
    /// chunk that stores its rows has been launched: from now on, readers of the segment's host bytes wait
    /// for it. Pass <c>expected: true</c> to <see cref="Queue"/> for it, or <see cref="Abandon"/> it.
    /// </summary>
    public void Expect(KvSegment segment)
    {
        var writes = Writes(segment);
        writes.Add(expected: true);
        segment.SetPendingHostWrites(writes);
    }

    /// <summary>Gives up an expected copy that will not be queued: readers of the segment get <paramref name="error"/>.</summary>
    public void Abandon(KvSegment segment, Exception error) => Writes(segment).Abandon(error);

    private SegmentWrites Writes(KvSegment segment) => _segments.GetValue(segment, _ => new SegmentWrites(this));

    /// <summary>
    /// Queues the copy of a filled reservation (K rows then V rows, <paramref name="half"/> bytes each) to
    /// <paramref name="hostKeys"/> and <paramref name="hostValues"/> of <paramref name="segment"/>;
    /// <paramref name="expected"/>: announced earlier with <see cref="Expect"/>.
    /// </summary>
    public void Queue(Reservation r, KvSegment segment, byte* hostKeys, byte* hostValues, long half, bool expected = false)
    {
        // The compute stream has the rows in the ring once it passes this event; our stream waits for it.
        CudaCheck.Driver(CuDriver.cuEventCreate(out IntPtr filled, CuDriver.EventDisableTiming));
        CudaCheck.Driver(CuDriver.cuEventRecord(filled, _device.Stream.Value));
        CudaCheck.Driver(CuDriver.cuStreamWaitEvent(_stream!.Value, filled, 0));
        CudaCheck.Driver(CuDriver.cuEventDestroy(filled)); // freed by the driver once it has fired
        byte* staged = (byte*)_hostRing!.Pointer + r.Offset;
        CudaCheck.Driver(CuDriver.cuMemcpyDtoHAsync(staged, r.Device, (nuint)r.Bytes, _stream.Value));
        // Blocking: the drain thread sleeps on it. A spinning wait (the default) measurably slowed the
        // issuing thread's launches (H100, Llama-3-8B shape, cached 4096+48: forward queued after 9.3 ms
        // instead of 3.6).
        CudaCheck.Driver(CuDriver.cuEventCreate(out IntPtr copied, CuDriver.EventDisableTiming | CuDriver.EventBlockingSync));
        CudaCheck.Driver(CuDriver.cuEventRecord(copied, _stream.Value));

        var writes = Writes(segment);
        if (expected) writes.Queued();
        else writes.Add(expected: false);
        segment.SetPendingHostWrites(writes);
        lock (_gate) _inFlight++;
        _jobs.Add(new Job(copied, (nint)staged, (nint)hostKeys, (nint)hostValues, half, r.Span, writes));
    }

    /// <summary>Waits until every queued copy has landed in host memory.</summary>
    /// <exception cref="InvalidOperationException">A copy failed.</exception>
    public void WaitAll()
    {
        lock (_gate)
        {
            while (_inFlight > 0) Monitor.Wait(_gate);
            ThrowIfFailed();
        }
    }

    // Only with nothing in flight: the old rings may still be read by queued copies otherwise.
    private void Grow(long bytes)
    {
        while (_inFlight > 0) Monitor.Wait(_gate);
        long size = Math.Max(InitialBytes, Math.Max(2 * (_ring?.Size ?? 0), 4 * bytes));
        _deviceRing?.Dispose();
        _hostRing?.Dispose();
        _device.MakeCurrent();
        _deviceRing = _device.Allocate(size);
        _hostRing = PinnedHostMemory.Allocate(_device.Context, size);
        _ring = new StagingRing(size);
        _stream ??= CudaStream.Create(_device.Context);
        if (_drainer is null)
        {
            _drainer = new Thread(Drain) { IsBackground = true, Name = "PromptCache K/V write-back" };
            _drainer.Start();
        }
    }

    /// <summary>
    /// Bytes moved into segments so far, the drain's time waiting for device-to-host copies and its time copying
    /// from the pinned ring into the segments (Stopwatch ticks): which side bounds a long prefill's write-back.
    /// </summary>
    public (long Bytes, long WaitTicks, long CopyTicks) Stats => (Interlocked.Read(ref _bytes), Interlocked.Read(ref _waitTicks), Interlocked.Read(ref _copyTicks));

    private long _bytes, _waitTicks, _copyTicks;

    private void Drain()
    {
        _device.MakeCurrent();
        foreach (var job in _jobs.GetConsumingEnumerable())
        {
            Exception? error = null;
            try
            {
                long started = Stopwatch.GetTimestamp();
                CudaCheck.Driver(CuDriver.cuEventSynchronize(job.Copied));
                long arrived = Stopwatch.GetTimestamp();
                Copy((byte*)job.Staged, (byte*)job.HostKeys, job.Half);
                Copy((byte*)job.Staged + job.Half, (byte*)job.HostValues, job.Half);
                Interlocked.Add(ref _waitTicks, arrived - started);
                Interlocked.Add(ref _copyTicks, Stopwatch.GetTimestamp() - arrived);
                Interlocked.Add(ref _bytes, 2 * job.Half);
            }
            catch (Exception e)
            {
                error = e;
            }
            CuDriver.cuEventDestroy(job.Copied);
            job.Writes.Done(error);
            lock (_gate)
            {
                _ring!.Release(job.Span);
                _inFlight--;
                _failure ??= error;
                Monitor.PulseAll(_gate);
            }
        }
    }

    private static void Copy(byte* from, byte* to, long bytes)
    {
        if (bytes < ParallelCopyBytes)
        {
            Buffer.MemoryCopy(from, to, bytes, bytes);
            return;
        }
        // One thread moves ~5-10 GB/s, below PCIe's ~50: split a long prefill's layer.
        const long chunk = 2L << 20;
        nint f = (nint)from, t = (nint)to;
        Parallel.For(0, (int)((bytes + chunk - 1) / chunk), i =>
        {
            long start = i * chunk, n = Math.Min(chunk, bytes - start);
            Buffer.MemoryCopy((byte*)f + start, (byte*)t + start, n, n);
        });
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } e) throw new InvalidOperationException("Copying K/V from the GPU back to host memory failed.", e);
    }

    /// <summary>Drains what is queued, then frees the rings.</summary>
    public void Dispose()
    {
        _jobs.CompleteAdding();
        _drainer?.Join();
        _deviceRing?.Dispose();
        _hostRing?.Dispose();
        _stream?.Dispose();
        _jobs.Dispose();
    }

    private sealed record Job(IntPtr Copied, nint Staged, nint HostKeys, nint HostValues, long Half, long Span, SegmentWrites Writes);

    // The writes still in flight into one segment, queued or only expected; the segment waits on this
    // before touching its bytes.
    private sealed class SegmentWrites(HostWriteBack owner) : IPendingHostWrites
    {
        private readonly object _lock = new();
        private int _pending, _expected;
        private Exception? _failure;

        public void Add(bool expected)
        {
            lock (_lock)
            {
                _pending++;
                if (expected) _expected++;
            }
        }

        public void Queued()
        {
            lock (_lock) _expected--;
        }

        public void Abandon(Exception error)
        {
            lock (_lock) _expected--;
            Done(error);
        }

        public void Done(Exception? error)
        {
            lock (_lock)
            {
                _pending--;
                _failure ??= error;
                Monitor.PulseAll(_lock);
            }
        }

        public void WaitForHostWrites()
        {
            // Expected copies are queued only when their chunk is launched: have the backend do it now.
            if (Volatile.Read(ref _expected) > 0) owner.QueueExpected?.Invoke();
            lock (_lock)
            {
                while (_pending > 0) Monitor.Wait(_lock);
                if (_failure is { } e)
                    throw new InvalidOperationException("Copying this segment's K/V from the GPU back to host memory failed; its host bytes are not current.", e);
            }
        }
    }
}
