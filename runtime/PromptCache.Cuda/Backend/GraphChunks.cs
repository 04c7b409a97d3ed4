using System.Diagnostics;
using PromptCache.Cuda.Device;
using PromptCache.Cuda.Interop;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// Runs a forward pass as a short sequence of CUDA graphs instead of hundreds of separate launches.
/// Launched one by one, the kernels of a cached call leave the GPU idle between them: the same 7B call
/// replayed as one graph took 7.5 ms of GPU time against 8.4 (H100, RESULTS.md). One graph for the
/// whole forward would make the GPU wait for the host to record all of it, so the work is recorded in
/// chunks of up to <see cref="OpsPerChunk"/> backend calls: each chunk is launched as soon as it is
/// recorded, and the host records the next while the GPU runs it. The first chunks of a forward are
/// shorter (<see cref="FirstChunkOps"/>, doubling), so the GPU starts after a few calls instead of
/// waiting for two layers to be recorded.
/// </summary>
/// <remarks>
/// <para>A chunk's executable graph is kept per position in the forward and updated in place
/// (cuGraphExecUpdate) when the next forward records the same kernels with other arguments and launch
/// shapes, which is what consecutive cached calls and decode steps do; anything else
/// instantiates a new one (up to <see cref="ExecsPerSlot"/> are kept per position). The driver accepts
/// updates that swap one kernel for another of the same graph shape, but on the H100 such updates gave
/// wrong logits (RESULTS.md, session 6), so reuse is keyed by <see cref="Signature"/>.</para>
/// <para>Anything that must not be recorded ends the chunk first (<see cref="CudaDevice.BreakCapture"/>):
/// synchronisation, downloads, uploads too large for the staging buffer, tuning runs timed with events,
/// waits on the copy streams. Uploads inside a chunk are staged in pinned memory that stays untouched
/// until the forward's result is read. Not thread-safe: the backend locks.</para>
/// </remarks>
internal sealed unsafe class GraphChunks : IDisposable
{
    /// <summary>Backend calls recorded per chunk: about two layers, so the GPU starts after ~0.1 ms of recording.</summary>
    public const int OpsPerChunk = 32;

    /// <summary>Backend calls in a forward's first chunk; each next chunk doubles up to <see cref="OpsPerChunk"/>.</summary>
    public const int FirstChunkOps = 4;

    /// <summary>Benchmarks only: false records every chunk at full length (the session-4 behaviour).</summary>
    public bool Ramp { get; set; } = true;

    /// <summary>
    /// Executable graphs kept per chunk position: one per kernel sequence seen there. The engine's calls
    /// vary (argument forwards of a few rows, suffixes, decode steps; the GEMM algorithm is tuned per row
    /// count), and with 4 the 1.1B engine bench built a new graph for nearly every second chunk.
    /// </summary>
    public const int ExecsPerSlot = 16;

    private const long StagingBytes = 16L << 20;

    // Chunk positions kept (a 7B forward has ~16): bounds the executable graphs held.
    private const int MaxSlots = 64;

    private readonly CudaDevice _device;
    private readonly List<List<(IntPtr Exec, ulong Signature)>> _slots = new(); // Signature 0: never reused
    private PinnedHostMemory? _staging;
    private int _slot, _ops;

    public GraphChunks(CudaDevice device)
    {
        _device = device;
        _device.CaptureBreak = Launch;
    }

    /// <summary>
    /// Called after each chunk's launch, with null, or with the error that kept it from running (an
    /// abandoned recording included): the backend queues what could not be recorded, the K/V copy-back.
    /// </summary>
    public Action<Exception?>? AfterLaunch { get; set; }

    /// <summary>Chunks launched, and those that needed a new executable graph (the rest were updated in place).</summary>
    public long Launched { get; private set; }

    /// <inheritdoc cref="Launched"/>
    public long Instantiated { get; private set; }

    /// <summary>Host time spent computing chunk signatures (Stopwatch ticks): what the safe reuse costs.</summary>
    public long SignatureTicks { get; private set; }

    /// <summary>
    /// Mixed into every chunk's signature: launch settings the signature cannot see in the nodes (whether kernels were
    /// launched as programmatic dependents is edge data), so that a chunk recorded under other settings never updates an
    /// executable graph recorded under these.
    /// </summary>
    public ulong Salt { get; set; }

    /// <summary>Called before a backend call queues work: starts recording a chunk if none is open.</summary>
    public void Enter()
    {
        if (_device.Capturing) return;
        _staging ??= PinnedHostMemory.Allocate(_device.Context, StagingBytes);
        _device.BeginCapture(_staging);
        _ops = 0;
    }

    /// <summary>Called after a backend call: launches the chunk once it holds its share of calls.</summary>
    public void Leave()
    {
        if (_device.Capturing && ++_ops >= ChunkOps(_slot)) Launch();
    }

    // The length of the chunk at this position in the forward: a host that records ~2x faster than the GPU
    // runs stays ahead while the lengths double.
    private int ChunkOps(int slot) => Ramp && slot < 4 ? FirstChunkOps << slot : OpsPerChunk;

    /// <summary>The forward's result is about to be read: launch what is recorded; the next call starts a new forward.</summary>
    public void EndForward()
    {
        Launch();
        _slot = 0;
    }

    // Ends the recording (if any) and launches it as this position's executable graph.
    private void Launch()
    {
        if (!_device.Capturing) return;
        IntPtr graph = _device.EndCapture(); // makes the context current: the caller may be another backend's thread
        Exception? failure = null;
        try
        {
            if (_slot == MaxSlots) _slot = 0; // a forward that never ended (no result read): reuse positions
            if (_slot == _slots.Count) _slots.Add(new());
            var execs = _slots[_slot++];
            long started = Stopwatch.GetTimestamp();
            ulong? signature = Signature(graph) is { } nodes ? Mix(nodes, Salt) : null;
            SignatureTicks += Stopwatch.GetTimestamp() - started;
            int match = signature is { } key ? execs.FindIndex(e => e.Signature == key) : -1;
            byte* info = stackalloc byte[64];
            IntPtr exec;
            if (match >= 0 && CuDriver.cuGraphExecUpdate(execs[match].Exec, graph, info) == 0)
            {
                exec = execs[match].Exec;
                execs.RemoveAt(match);
            }
            else
            {
                if (match >= 0)
                {
                    CuDriver.cuGraphExecDestroy(execs[match].Exec); // same kernels, other topology: replaced
                    execs.RemoveAt(match);
                }
                CudaCheck.Driver(CuDriver.cuGraphInstantiateWithFlags(out exec, graph, 0));
                Instantiated++;
                if (execs.Count == ExecsPerSlot)
                {
                    CuDriver.cuGraphExecDestroy(execs[0].Exec);
                    execs.RemoveAt(0);
                }
            }
            execs.Add((exec, signature ?? 0)); // most recently used last
            CudaCheck.Driver(CuDriver.cuGraphLaunch(exec, _device.Stream.Value));
            Launched++;
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            CuDriver.cuGraphDestroy(graph);
            AfterLaunch?.Invoke(failure);
        }
    }

    /// <summary>
    /// What must not change for an executable graph to be updated in place: each node's type, in the order
    /// the driver lists them; for kernels the function; for copies the memory types at both ends. Launch
    /// shapes, arguments, pointers and copy sizes may differ. Null when the driver cannot describe a node:
    /// that graph is then never updated in place.
    /// </summary>
    internal static ulong? Signature(IntPtr graph)
    {
        nuint count = 0;
        if (CuDriver.cuGraphGetNodes(graph, null, &count) != 0) return null;
        var nodes = new IntPtr[(int)count];
        fixed (IntPtr* p = nodes)
            if (CuDriver.cuGraphGetNodes(graph, p, &count) != 0) return null;
        ulong hash = Mix(FnvOffset, count);
        byte* parameters = stackalloc byte[256];
        foreach (var node in nodes)
        {
            if (CuDriver.cuGraphNodeGetType(node, out int type) != 0) return null;
            hash = Mix(hash, (ulong)type);
            if (type == CuDriver.GraphNodeKernel)
            {
                // CUDA_KERNEL_NODE_PARAMS_v2: func, grid and block dims, shared bytes, params, extra, kern, ctx.
                // The function (func, or kern for a library's context-independent kernel) only: grids follow
                // the row count, which differs between calls that reuse one executable graph.
                if (CuDriver.cuGraphKernelNodeGetParams(node, parameters) != 0) return null;
                hash = Mix(hash, *(ulong*)parameters);
                hash = Mix(hash, *(ulong*)(parameters + 56));
            }
            else if (type == CuDriver.GraphNodeMemcpy)
            {
                // CUDA_MEMCPY3D: srcMemoryType at byte 32, dstMemoryType at byte 120.
                if (CuDriver.cuGraphMemcpyNodeGetParams(node, parameters) != 0) return null;
                hash = Mix(hash, *(uint*)(parameters + 32));
                hash = Mix(hash, *(uint*)(parameters + 120));
            }
        }
        return hash == 0 ? 1 : hash;
    }

    // FNV-1a over the bytes of 64-bit words.
    private const ulong FnvOffset = 14695981039346656037, FnvPrime = 1099511628211;

    private static ulong Mix(ulong hash, ulong value)
    {
        for (int i = 0; i < 8; i++, value >>= 8) hash = (hash ^ (value & 0xff)) * FnvPrime;
        return hash;
    }

    public void Dispose()
    {
        if (_device.Capturing)
        {
            CuDriver.cuGraphDestroy(_device.EndCapture()); // abandoned: nothing recorded is run
            AfterLaunch?.Invoke(new ObjectDisposedException(nameof(GraphChunks), "The CUDA backend was disposed before this work was launched."));
        }
        _device.CaptureBreak = null;
        foreach (var execs in _slots)
            foreach (var (exec, _) in execs) CuDriver.cuGraphExecDestroy(exec);
        _slots.Clear();
        _staging?.Dispose();
    }
}
