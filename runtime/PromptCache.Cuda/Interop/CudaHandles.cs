using System.Runtime.InteropServices;

namespace PromptCache.Cuda.Interop;

/// <summary>
/// Base of every handle owned by one CUDA context: release makes that context current first,
/// because the finalizer thread (or any other) may release it and driver calls act on the calling
/// thread's current context.
/// </summary>
internal abstract class ContextBoundHandle : SafeHandle
{
    protected ContextBoundHandle(IntPtr context) : base(IntPtr.Zero, ownsHandle: true) => Context = context;

    /// <summary>The context the resource lives in.</summary>
    public IntPtr Context { get; }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    protected sealed override bool ReleaseHandle()
    {
        // Never throw from a release; a failure here leaks, which is the lesser evil at shutdown.
        // Queued while a stream of this context is being recorded into a CUDA graph (CaptureGuard).
        IntPtr context = Context, value = handle;
        bool released = true;
        CaptureGuard.Release(context, () => released = ReleaseIn(context, value));
        return released;
    }

    // The thread's current context is put back: the thread may be a backend's, which caches it.
    private bool ReleaseIn(IntPtr context, IntPtr value)
    {
        if (CuDriver.cuCtxGetCurrent(out IntPtr previous) != 0 || CuDriver.cuCtxSetCurrent(context) != 0) return false;
        bool released = Release(value) == 0;
        if (previous != context) CuDriver.cuCtxSetCurrent(previous);
        return released;
    }

    /// <summary>Frees the resource; returns the CUresult.</summary>
    protected abstract int Release(IntPtr value);
}

/// <summary>A device allocation (cuMemAlloc).</summary>
internal sealed class DeviceMemory : ContextBoundHandle
{
    private DeviceMemory(IntPtr context, ulong pointer, long bytes) : base(context)
    {
        SetHandle((IntPtr)(long)pointer);
        Bytes = bytes;
    }

    /// <summary>The device address.</summary>
    public ulong Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return (ulong)(long)handle;
        }
    }

    /// <summary>Size in bytes.</summary>
    public long Bytes { get; }

    /// <summary>Allocates <paramref name="bytes"/> (at least 1) in the current context.</summary>
    public static DeviceMemory Allocate(IntPtr context, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        CudaCheck.Driver(CuDriver.cuMemAlloc(out ulong p, (nuint)Math.Max(bytes, 1)));
        return new DeviceMemory(context, p, bytes);
    }

    protected override int Release(IntPtr value) => CuDriver.cuMemFree((ulong)(long)value);
}

/// <summary>Page-locked host memory (cuMemAllocHost): the only host memory copies run asynchronously from.</summary>
internal sealed unsafe class PinnedHostMemory : ContextBoundHandle
{
    private PinnedHostMemory(IntPtr context, IntPtr pointer, long bytes) : base(context)
    {
        SetHandle(pointer);
        Bytes = bytes;
    }

    /// <summary>The host address.</summary>
    public void* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return (void*)handle;
        }
    }

    /// <summary>Size in bytes.</summary>
    public long Bytes { get; }

    /// <summary>Allocates pinned host memory in the current context.</summary>
    public static PinnedHostMemory Allocate(IntPtr context, long bytes)
    {
        CudaCheck.Driver(CuDriver.cuMemAllocHost(out IntPtr p, (nuint)Math.Max(bytes, 1)));
        return new PinnedHostMemory(context, p, bytes);
    }

    protected override int Release(IntPtr value) => CuDriver.cuMemFreeHost(value);
}

/// <summary>A stream (cuStreamCreate, non-blocking).</summary>
internal sealed class CudaStream : ContextBoundHandle
{
    private CudaStream(IntPtr context, IntPtr stream) : base(context) => SetHandle(stream);

    /// <summary>The CUstream.</summary>
    public IntPtr Value => handle;

    /// <summary>Creates a stream that does not synchronise with the legacy default stream.</summary>
    public static CudaStream Create(IntPtr context)
    {
        CudaCheck.Driver(CuDriver.cuStreamCreate(out IntPtr s, CuDriver.StreamNonBlocking));
        return new CudaStream(context, s);
    }

    /// <summary>Waits for all work queued on the stream.</summary>
    public void Synchronize() => CudaCheck.Driver(CuDriver.cuStreamSynchronize(handle));

    protected override int Release(IntPtr value) => CuDriver.cuStreamDestroy(value);
}

/// <summary>An event with timing (cuEventCreate).</summary>
internal sealed class CudaEvent : ContextBoundHandle
{
    private CudaEvent(IntPtr context, IntPtr evt) : base(context) => SetHandle(evt);

    /// <summary>The CUevent.</summary>
    public IntPtr Value => handle;

    /// <summary>Creates a timing event.</summary>
    public static CudaEvent Create(IntPtr context)
    {
        CudaCheck.Driver(CuDriver.cuEventCreate(out IntPtr e, CuDriver.EventDefault));
        return new CudaEvent(context, e);
    }

    /// <summary>Records the event on <paramref name="stream"/>.</summary>
    public void Record(CudaStream stream) => CudaCheck.Driver(CuDriver.cuEventRecord(handle, stream.Value));

    /// <summary>Milliseconds between <paramref name="start"/> and this event (waits for this one).</summary>
    public float MillisecondsSince(CudaEvent start)
    {
        CudaCheck.Driver(CuDriver.cuEventSynchronize(handle));
        CudaCheck.Driver(CuDriver.cuEventElapsedTime(out float ms, start.Value, handle));
        return ms;
    }

    protected override int Release(IntPtr value) => CuDriver.cuEventDestroy(value);
}

/// <summary>A loaded module (cuModuleLoadData).</summary>
internal sealed unsafe class CudaModule : ContextBoundHandle
{
    private CudaModule(IntPtr context, IntPtr module) : base(context) => SetHandle(module);

    /// <summary>Loads a cubin or NUL-terminated PTX image into the current context.</summary>
    public static CudaModule Load(IntPtr context, ReadOnlySpan<byte> image)
    {
        // PTX must be NUL-terminated; a cubin does not mind a trailing zero.
        var copy = new byte[image.Length + 1];
        image.CopyTo(copy);
        fixed (byte* p = copy)
        {
            CudaCheck.Driver(CuDriver.cuModuleLoadData(out IntPtr m, p));
            return new CudaModule(context, m);
        }
    }

    /// <summary>Looks up an <c>extern "C"</c> kernel.</summary>
    public IntPtr Function(string name)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        int r = CuDriver.cuModuleGetFunction(out IntPtr f, handle, name);
        if (r != 0) throw new CudaException("CUDA driver", "cuModuleGetFunction", r, CudaCheck.DriverErrorName(r), $"kernel '{name}'");
        return f;
    }

    protected override int Release(IntPtr value) => CuDriver.cuModuleUnload(value);
}
