using System.Text;
using PromptCache.Cuda.Interop;

namespace PromptCache.Cuda.Device;

/// <summary>
/// One GPU: its primary context (shared with any other library in the process, as the runtime API
/// does), a work stream and what the kernels need to know about the chip.
/// </summary>
public sealed unsafe class CudaDevice : IDisposable
{
    [ThreadStatic] private static IntPtr t_current;
    private bool _disposed;

    private CudaDevice(int ordinal)
    {
        Ordinal = ordinal;
        Gate = DeviceGate.For(ordinal);
        CudaCheck.Driver(CuDriver.cuDeviceGet(out int device, ordinal));
        Handle = device;
        byte* name = stackalloc byte[256];
        CudaCheck.Driver(CuDriver.cuDeviceGetName(name, 256, device));
        var raw = new ReadOnlySpan<byte>(name, 256);
        int end = raw.IndexOf((byte)0);
        Name = Encoding.UTF8.GetString(end < 0 ? raw : raw[..end]);
        int major = DeviceAttribute(CuDriver.AttributeComputeCapabilityMajor);
        int minor = DeviceAttribute(CuDriver.AttributeComputeCapabilityMinor);
        ComputeCapability = new ComputeCapability(major, minor);
        MultiprocessorCount = DeviceAttribute(CuDriver.AttributeMultiprocessorCount);
        MaxSharedMemoryPerBlockOptin = DeviceAttribute(CuDriver.AttributeMaxSharedMemoryPerBlockOptin);
        CudaCheck.Driver(CuDriver.cuDeviceTotalMem(out nuint total, device));
        TotalMemory = (long)total;
        CudaCheck.Driver(CuDriver.cuDriverGetVersion(out int version));
        DriverVersion = version;
        lock (Gate)
        {
            Gate.Claim(this);
            CudaCheck.Driver(CuDriver.cuDevicePrimaryCtxRetain(out IntPtr context, device));
            Context = context;
            MakeCurrent();
            Stream = CudaStream.Create(context);
        }
    }

    /// <summary>The lock shared by everything that issues driver calls on this GPU (see <see cref="DeviceGate"/>).</summary>
    internal DeviceGate Gate { get; }

    private int DeviceAttribute(int attribute)
    {
        CudaCheck.Driver(CuDriver.cuDeviceGetAttribute(out int value, attribute, Handle));
        return value;
    }

    /// <summary>Device ordinal.</summary>
    public int Ordinal { get; }

    internal int Handle { get; }

    internal IntPtr Context { get; }

    internal CudaStream Stream { get; }

    private CudaStream? _copyStream;

    /// <summary>A second stream for host-to-device loads that overlap compute on <see cref="Stream"/>.</summary>
    internal CudaStream CopyStream
    {
        get
        {
            MakeCurrent();
            return _copyStream ??= CudaStream.Create(Context);
        }
    }

    /// <summary>Marketing name, e.g. "NVIDIA H100 80GB HBM3".</summary>
    public string Name { get; }

    /// <summary>SM version.</summary>
    public ComputeCapability ComputeCapability { get; }

    /// <summary>Streaming multiprocessors.</summary>
    public int MultiprocessorCount { get; }

    /// <summary>Largest dynamic shared memory a block may opt in to, in bytes.</summary>
    public int MaxSharedMemoryPerBlockOptin { get; }

    /// <summary>Device memory in bytes.</summary>
    public long TotalMemory { get; }

    /// <summary>The driver's CUDA version, e.g. 13000.</summary>
    public int DriverVersion { get; }

    /// <summary>
    /// Initialises the driver and opens device <paramref name="ordinal"/>.
    /// </summary>
    /// <exception cref="CudaUnavailableException">libcuda is missing, cuInit fails or there is no such device.</exception>
    public static CudaDevice Open(int ordinal = 0)
    {
        EnsureDriver();
        CudaCheck.Driver(CuDriver.cuDeviceGetCount(out int count));
        if (ordinal < 0 || ordinal >= count)
            throw new CudaUnavailableException($"CUDA device {ordinal} requested but the driver reports {count} device(s).");
        return new CudaDevice(ordinal);
    }

    /// <summary>Whether a CUDA device can be opened here; <paramref name="reason"/> says why not.</summary>
    public static bool IsAvailable(out string reason)
    {
        try
        {
            EnsureDriver();
            CudaCheck.Driver(CuDriver.cuDeviceGetCount(out int count));
            if (count == 0)
            {
                reason = "the CUDA driver reports no devices";
                return false;
            }
            reason = "";
            return true;
        }
        catch (Exception e) when (e is CudaUnavailableException or CudaException)
        {
            reason = e.Message;
            return false;
        }
    }

    private static void EnsureDriver()
    {
        int r;
        try
        {
            r = CuDriver.cuInit(0);
        }
        catch (DllNotFoundException e)
        {
            throw new CudaUnavailableException(CudaLibraryResolver.DescribeMissing(CudaLibraryNames.Driver, "The NVIDIA driver library (libcuda)"), e);
        }
        if (r != 0)
            throw new CudaUnavailableException($"cuInit failed: {CudaCheck.DriverErrorName(r)} ({r}); no usable NVIDIA GPU or driver.");
    }

    /// <summary>Makes this device's context current on the calling thread (cheap when it already is).</summary>
    internal void MakeCurrent()
    {
        if (t_current == Context) return;
        CudaCheck.Driver(CuDriver.cuCtxSetCurrent(Context));
        t_current = Context;
    }

    /// <summary>Blocks until all queued work (compute and copy streams) is done; surfaces asynchronous kernel faults.</summary>
    public void Synchronize()
    {
        MakeCurrent();
        BreakCapture();
        _copyStream?.Synchronize();
        Stream.Synchronize();
        _captureUsed = 0; // every recorded copy has run
    }

    /// <summary>Free and total device memory in bytes.</summary>
    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        CudaCheck.Driver(CuDriver.cuMemGetInfo(out nuint free, out nuint total));
        return ((long)free, (long)total);
    }

    /// <summary>
    /// The median GPU time in milliseconds of <paramref name="reps"/> runs of <paramref name="run"/> on the work stream
    /// (events around each), after one untimed run: how the backend chooses between ways of doing the same work.
    /// </summary>
    internal double MedianMilliseconds(Action run, int reps)
    {
        using var start = CudaEvent.Create(Context);
        using var end = CudaEvent.Create(Context);
        run();
        var times = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            start.Record(Stream);
            run();
            end.Record(Stream);
            times[i] = end.MillisecondsSince(start);
        }
        Array.Sort(times);
        return times[reps / 2];
    }

    /// <summary>Allocates device memory.</summary>
    internal DeviceMemory Allocate(long bytes)
    {
        MakeCurrent();
        return DeviceMemory.Allocate(Context, bytes);
    }

    /// <summary>Copies host bytes to the device on the work stream (pageable sources return once staged).</summary>
    internal void Upload(ulong destination, void* source, long bytes)
    {
        if (bytes == 0) return;
        MakeCurrent();
        if (Capturing && _captureUsed + bytes > _captureStaging!.Bytes) BreakCapture();
        if (Capturing)
        {
            // A recorded copy reads its source when the graph runs: give it pinned bytes that stay put.
            byte* staged = (byte*)_captureStaging!.Pointer + _captureUsed;
            Buffer.MemoryCopy(source, staged, bytes, bytes);
            source = staged;
            _captureUsed += (bytes + 255) & ~255L;
        }
        CudaCheck.Driver(CuDriver.cuMemcpyHtoDAsync(destination, source, (nuint)bytes, Stream.Value));
    }

    private PinnedHostMemory? _captureStaging;
    private long _captureUsed;

    /// <summary>Whether the work stream is being recorded into a CUDA graph (nothing queued runs until it is launched).</summary>
    internal bool Capturing { get; private set; }

    /// <summary>
    /// Ends the recording and launches what it holds (set by whoever records); called before anything that
    /// cannot be recorded: synchronising, downloads, event-timed runs, waits on other streams.
    /// </summary>
    internal Action? CaptureBreak { get; set; }

    /// <summary>Launches the work being recorded, if any, so that what follows runs directly.</summary>
    internal void BreakCapture()
    {
        if (Capturing) CaptureBreak?.Invoke();
    }

    /// <summary>
    /// Starts recording the work stream into a CUDA graph. Uploads are staged in <paramref name="staging"/>;
    /// a recorded copy reads its bytes when the graph runs, so they are only reused after the stream has
    /// been waited for (<see cref="Synchronize"/>, <see cref="Download"/>).
    /// </summary>
    internal void BeginCapture(PinnedHostMemory staging)
    {
        MakeCurrent();
        if (_captureStaging != staging) (_captureStaging, _captureUsed) = (staging, 0);
        CaptureGuard.Enter(Context);
        try
        {
            CudaCheck.Driver(CuDriver.cuStreamBeginCapture(Stream.Value, CuDriver.CaptureModeRelaxed));
        }
        catch
        {
            CaptureGuard.Exit(Context);
            throw;
        }
        Capturing = true;
        Gate.Recording = this;
    }

    /// <summary>Stops recording; returns the graph (the caller instantiates and destroys it).</summary>
    internal IntPtr EndCapture()
    {
        Capturing = false;
        if (Gate.Recording == this) Gate.Recording = null;
        try
        {
            MakeCurrent(); // another backend's thread may end this recording (DeviceGate.Claim)
            CudaCheck.Driver(CuDriver.cuStreamEndCapture(Stream.Value, out IntPtr graph));
            return graph;
        }
        finally
        {
            CaptureGuard.Exit(Context);
        }
    }

    /// <summary>Copies a span to the device.</summary>
    internal void Upload<T>(ulong destination, ReadOnlySpan<T> source) where T : unmanaged
    {
        fixed (T* p = source) Upload(destination, p, (long)source.Length * sizeof(T));
    }

    /// <summary>Copies device bytes to the host and waits for them.</summary>
    internal void Download(void* destination, ulong source, long bytes)
    {
        if (bytes == 0) return;
        MakeCurrent();
        BreakCapture();
        CudaCheck.Driver(CuDriver.cuMemcpyDtoHAsync(destination, source, (nuint)bytes, Stream.Value));
        Stream.Synchronize();
        _captureUsed = 0; // every recorded copy has run
    }

    /// <summary>Device-to-device copy on the work stream.</summary>
    internal void Copy(ulong destination, ulong source, long bytes)
    {
        if (bytes == 0) return;
        MakeCurrent();
        CudaCheck.Driver(CuDriver.cuMemcpyDtoDAsync(destination, source, (nuint)bytes, Stream.Value));
    }

    /// <summary>Releases the stream and the primary context reference.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (Gate.Recording == this) Gate.Recording = null;
        _copyStream?.Dispose();
        Stream.Dispose();
        CuDriver.cuDevicePrimaryCtxRelease(Handle);
        if (t_current == Context) t_current = IntPtr.Zero;
    }
}

/// <summary>An SM version such as 9.0.</summary>
/// <param name="Major">Major version (9 for Hopper).</param>
/// <param name="Minor">Minor version.</param>
public readonly record struct ComputeCapability(int Major, int Minor)
{
    /// <summary>"sm_90".</summary>
    public string SmName => $"sm_{Major}{Minor}";

    /// <summary>"9.0".</summary>
    public override string ToString() => $"{Major}.{Minor}";
}
