using System.Diagnostics;
using System.Runtime.CompilerServices;
using PromptCache.Cuda.Device;
using PromptCache.Cuda.Interop;
using PromptCache.Cuda.Kernels;
using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Models;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// The CUDA backend: float32 activations in device memory, bf16 weights (uploaded once), bf16 K/V
/// kept on the device per <see cref="KvSegment"/>, GEMMs on cuBLAS (bf16 × bf16 → f32, f32
/// accumulation) and NVRTC-compiled kernels for everything else. All work goes to one stream;
/// <see cref="CopyToHost"/> is the only call that waits for it.
/// </summary>
/// <remarks>
/// Pointers returned by <see cref="Allocate"/> are device addresses. Calls are serialised with a
/// lock; the scratch buffers they share are safe because the stream runs launches in order.
/// </remarks>
public sealed unsafe partial class CudaBackend : IComputeBackend, IDisposable
{
    private readonly DeviceGate _gate;
    private readonly CudaDevice _device;
    private readonly KernelModules _modules;
    private readonly DeviceKernels _kernels;
    private readonly DeviceWeights _weights;
    private readonly DeviceResidentStores _stores;
    private readonly ActivationPool _pool;
    private readonly ScratchBuffer _ids, _partials, _staging, _groupOutput;
    private readonly ScratchBuffer _loadStaging; // f16/f32 host rows on their way to bf16 (copy stream only)
    private readonly GemmInputs _gemmInputs;
    private readonly DeferredRopes _deferredRopes;
    private readonly ScratchBuffer[] _gemmInputBuffers;
    private readonly LtTunedGemm _ltGemm;
    private readonly HostWriteBack _writeBack;
    private readonly DeviceKvBudget _budget;
    private readonly GraphChunks _graphs;
    private readonly ConditionalWeakTable<KvSegment, DeviceKvSegment> _kv = new();
    private readonly IntPtr _blas;
    private bool _disposed;

    // Deferred work (SkinnyGemmPath.Kernel, FuseResidualNorm). GEMM groups: _followers maps a weight to
    // the weights seen called right after it on the same input; _chain is the current run of such
    // calls. _group is a skinny launch waiting for its learned followers; any other call runs it first
    // (Begin), so results are the same as running every call at once.
    private readonly Dictionary<ulong, ulong[]> _followers = new();
    private readonly ulong[] _chain = new ulong[SkinnyGemmPlan.MaxMembers];
    private int _chainLength, _chainRows, _chainCols;
    private ulong _chainInput;
    private SkinnyGroupArgs _group;
    private ulong[] _groupFollowers = [];
    private ulong _groupInput, _groupInputBf16;
    private int _groupRows, _groupCols;
    private bool _skinnyUnavailable, _fusedNormUnavailable, _rowRopeUnavailable, _fusedGroupUnavailable;

    // A fused gate/up GEMM whose output (y[m × 2f] in _groupOutput) is not yet split into gate and up:
    // a SiluMul over exactly those buffers does the split itself; any other call splits it first.
    private (ulong Y, int M, int F, ulong Gate, ulong Up) _pendingSplit;
    private bool _hasPendingSplit;
    private (ulong X, ulong R, long Count) _pendingAdd;
    private bool _hasPendingAdd;

    // The wgmma kernels (attention, the SwiGLU GEMM, the skinny GEMM) exist for SM 9.0 only.
    private bool IsHopper => _device.ComputeCapability is { Major: 9, Minor: 0 };

    /// <summary>Opens the GPU and prepares cuBLAS; kernels compile lazily on first use.</summary>
    /// <exception cref="CudaUnavailableException">No CUDA driver, toolkit library or device.</exception>
    public CudaBackend(CudaBackendOptions? options = null)
    {
        Options = options ?? new CudaBackendOptions();
        _device = CudaDevice.Open(Options.DeviceOrdinal);
        _gate = _device.Gate;
        try
        {
            using var entered = Enter();
            string? cacheDir = Options.KernelCacheDirectory ?? KernelCache.DefaultDirectory(Environment.GetEnvironmentVariable,
                Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
            _modules = new KernelModules(_device, new KernelCache(string.IsNullOrEmpty(cacheDir) ? null : cacheDir));
            _kernels = new DeviceKernels(_device, _modules);
            _weights = new DeviceWeights(_device, _kernels);
            _stores = new DeviceResidentStores(_device);
            _pool = new ActivationPool(_device);
            _gemmInputBuffers = [.. Enumerable.Range(0, GemmInputs.Slots).Select(_ => new ScratchBuffer(_device))];
            _gemmInputs = new GemmInputs((slot, bytes) => _gemmInputBuffers[slot].Get(bytes), _kernels.ConvertBf16ToF32);
            _deferredRopes = new DeferredRopes(p => LaunchRope(p.X, p.Cos, p.Sin, p.Rows, p.Heads, p.Half, p.Interleaved));
            _ids = new ScratchBuffer(_device);
            _partials = new ScratchBuffer(_device);
            _staging = new ScratchBuffer(_device);
            _loadStaging = new ScratchBuffer(_device);
            _groupOutput = new ScratchBuffer(_device);
            _ltGemm = new LtTunedGemm(_device);
            _writeBack = new HostWriteBack(_device);
            _budget = new DeviceKvBudget(Options.DeviceKvBudgetBytes);
            _graphs = new GraphChunks(_device) { AfterLaunch = QueueDeferredWriteBacks };
            _writeBack.QueueExpected = LaunchRecordedChunk;
            try
            {
                CudaCheck.Blas(Cublas.cublasCreate(out _blas));
            }
            catch (DllNotFoundException e)
            {
                throw new CudaUnavailableException(CudaLibraryResolver.DescribeMissing(CudaLibraryNames.Cublas, "cuBLAS (libcublas)"), e);
            }
            CudaCheck.Blas(Cublas.cublasSetStream(_blas, _device.Stream.Value));
        }
        catch
        {
            _device.Dispose();
            throw;
        }
    }

    // Every call holds its GPU's gate, shared with the other backends on that GPU, and first launches
    // what another backend has recorded (DeviceGate): any driver call here could invalidate that recording.
    private GateScope Enter()
    {
        Monitor.Enter(_gate);
        try
        {
            _gate.Claim(_device);
        }
        catch
        {
            Monitor.Exit(_gate);
            throw;
        }
        return new GateScope(_gate);
    }

    private readonly struct GateScope(DeviceGate gate) : IDisposable
    {
        public void Dispose() => Monitor.Exit(gate);
    }

    /// <summary>
    /// Whether a segment found only in host memory is loaded layer by layer on a copy stream,
    /// attention of layer l waiting only for layer l (AttentionStore's overlap); f16 and f32 rows are
    /// converted to bf16 on that stream too. When false, all layers are loaded before the first
    /// attention. Copies overlap compute only from page-locked memory: see
    /// <see cref="PinHostMemory(void*, long)"/> (the engine pins its warmed modules).
    /// </summary>
    public bool LayerwiseHostLoad { get; set; } = true;

    /// <summary>
    /// With <see cref="LayerwiseHostLoad"/>: whether attention of layer l waits for layer l only
    /// (true) or for the whole segment (false; the no-overlap baseline the benchmark compares with).
    /// </summary>
    public bool OverlapHostLoad { get; set; } = true;

    /// <summary>The settings this backend was created with.</summary>
    public CudaBackendOptions Options { get; }

    /// <summary>The GPU.</summary>
    public CudaDevice Device => _device;

    /// <inheritdoc />
    public string Name => "cuda";

    /// <summary>
    /// 8192: a prompt of up to 8192 new tokens runs as one chunk, as the benchmarks' uncached rows do. Prefill GEMMs
    /// of 4096 rows run ~5 % faster than of 2048 (7B shapes on the H100: ~750 against ~700 TFLOP/s), and the engine's
    /// uncached 4096-token 7B call took 97–98 ms in two 2048-token chunks (RESULTS.md, sessions 18 and 19). A chunk's
    /// f32 activations take ~1.5 GB at 8192 tokens of a 7B or 8B shape (~190 MB per 1024 tokens); set
    /// <c>LlamaModel.MaxChunkTokens</c> lower on a GPU with little memory to spare. (512-token chunks had made the
    /// uncached 4096-token TinyLlama-1.1B call 35–36 ms against 29 with 2048.)
    /// </summary>
    public int PreferredChunkTokens => 8192;

    /// <summary>Device bytes held by uploaded or created weights.</summary>
    public long WeightBytes => _weights.Bytes;

    /// <summary>Seconds NVRTC spent compiling kernels (zero when all came from the disk cache).</summary>
    public double KernelCompileSeconds => _modules.CompileSeconds;

    /// <inheritdoc />
    public float* Allocate(long count)
    {
        using (Enter()) return (float*)_pool.Rent(Math.Max(count, 1) * sizeof(float));
    }

    /// <inheritdoc />
    public void Free(float* buffer)
    {
        using (Enter())
        {
            Begin();
            long bytes = _pool.Return((ulong)buffer);
            _gemmInputs.Forget((ulong)buffer, bytes);
            _deferredRopes.Forget((ulong)buffer, bytes);
        }
    }

    /// <inheritdoc />
    public void Embed(in WeightTensor embedding, ReadOnlySpan<int> ids, float* y)
    {
        for (int i = 0; i < ids.Length; i++)
            if ((uint)ids[i] >= (uint)embedding.Rows)
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i], $"Token id {ids[i]} at index {i} is outside the vocabulary [0, {embedding.Rows}).");
        using (Enter())
        {
            using var chunk = Recorded();
            Begin();
            ulong table = _weights.Get(embedding);
            ulong deviceIds = _ids.Get((long)ids.Length * sizeof(int));
            _device.Upload(deviceIds, ids);
            Written((ulong)y, (long)ids.Length * embedding.Cols);
            _kernels.Embed(table, deviceIds, (ulong)y, ids.Length, embedding.Cols);
        }
    }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.CudaGraphs"/>.</summary>
    internal bool? GraphsOverride { get; set; }

    /// <summary>Benchmarks only: false runs rope_store_kv with one block per token whatever the token count.</summary>
    internal bool? SplitRopeStoreOverride
    {
        set
        {
            using (Enter()) _kernels.SplitRopeStore = value ?? true;
        }
    }

    /// <summary>Benchmarks only: whether a forward's first graph chunks are shorter (GraphChunks.FirstChunkOps).</summary>
    internal bool GraphRamp
    {
        get => _graphs.Ramp;
        set
        {
            using (Enter()) _graphs.Ramp = value;
        }
    }

    /// <summary>
    /// Chunks of a forward launched as CUDA graphs so far, how many needed a new executable graph, and the
    /// host time spent checking which executable graph a chunk may update.
    /// </summary>
    public (long Launched, long Instantiated, TimeSpan SignatureTime) GraphStats
    {
        get
        {
            using (Enter()) return (_graphs.Launched, _graphs.Instantiated, Stopwatch.GetElapsedTime(0, _graphs.SignatureTicks));
        }
    }

    // Opens (or continues) a recorded chunk for one backend call when CUDA graphs are on; disposing counts the call.
    // Not with the synchronous K/V write-back: each layer's download ends the chunk, and one-layer chunks did
    // not pay on small models (engine through the tool, H100, cached 4K: 110M 6.3 ms with them against 4.1–5.2
    // without; 1.1B 7.3–8.0 against 6.2–7.8). The asynchronous one defers its copies to the chunk's launch.
    private ChunkScope Recorded()
    {
        var (writeBack, asynchronous) = WriteBackMode;
        if (!(GraphsOverride ?? Options.CudaGraphs) || (writeBack && !asynchronous)) return default;
        _graphs.Enter();
        return new ChunkScope(_graphs);
    }

    private readonly struct ChunkScope(GraphChunks? chunks) : IDisposable
    {
        public void Dispose() => chunks?.Leave();
    }

    /// <summary>
    /// Benchmarks only: records what <paramref name="body"/> queues as one CUDA graph, without running it,
    /// and returns it instantiated (replay with <see cref="LaunchGraph"/>, free with <see cref="DestroyGraph"/>;
    /// <paramref name="staging"/> holds the recorded uploads and must outlive it). The replay repeats the
    /// recorded pointers and inputs exactly: this measures what op-by-op launching costs the GPU, it is not
    /// a way to serve requests.
    /// </summary>
    internal IntPtr CaptureGraph(Action body, PinnedHostMemory staging)
    {
        using (Enter())
        {
            Begin();
            _device.BeginCapture(staging);
            IntPtr graph;
            try
            {
                body();
                Begin();
            }
            finally
            {
                graph = _device.EndCapture();
            }
            try
            {
                CudaCheck.Driver(CuDriver.cuGraphInstantiateWithFlags(out IntPtr exec, graph, 0));
                return exec;
            }
            finally
            {
                CuDriver.cuGraphDestroy(graph);
            }
        }
    }

    /// <summary>Benchmarks only: queues a graph from <see cref="CaptureGraph"/> on the work stream.</summary>
    internal void LaunchGraph(IntPtr exec)
    {
        using (Enter()) CudaCheck.Driver(CuDriver.cuGraphLaunch(exec, _device.Stream.Value));
    }

    /// <summary>Benchmarks only: frees a graph from <see cref="CaptureGraph"/>.</summary>
    internal static void DestroyGraph(IntPtr exec) => CuDriver.cuGraphExecDestroy(exec);

    // Every call but MatMul/Add/RmsNorm: launch what is held back, in call order, and end any GEMM chain.
    private void Begin()
    {
        FlushAttention();
        FlushGroup();
        FlushAdd();
        _chainLength = 0;
    }

    /// <inheritdoc />
    public void CopyToHost(float* source, Span<float> destination)
    {
        using (Enter())
        {
            Begin();
            Reading((ulong)source, destination.Length);
            _graphs.EndForward();
            fixed (float* d = destination) _device.Download(d, (ulong)source, (long)destination.Length * sizeof(float));
            _budget.EndCall();
        }
    }

    /// <summary>Index of the largest value of each of <paramref name="rows"/> rows of device logits (greedy sampling on the GPU).</summary>
    public int[] Argmax(float* logits, int rows, int vocab)
    {
        using (Enter())
        {
            Begin();
            Reading((ulong)logits, (long)rows * vocab);
            ulong output = _ids.Get((long)rows * sizeof(int));
            _kernels.ArgmaxRows((ulong)logits, rows, vocab, output);
            _graphs.EndForward();
            var result = new int[rows];
            fixed (int* r = result) _device.Download(r, output, (long)rows * sizeof(int));
            _budget.EndCall();
            return result;
        }
    }

    /// <summary>
    /// A bf16 weight matrix made on the device from a seed (uniform in [-scale, scale)), for
    /// benchmarks of model shapes whose weights are not shipped. Its <see cref="WeightTensor.Data"/>
    /// is a device address: pass it to this backend only.
    /// </summary>
    public WeightTensor CreateRandomWeight(string name, int rows, int cols, ulong seed, float scale)
    {
        using (Enter()) return _weights.CreateRandom(name, rows, cols, seed, scale);
    }

    /// <summary>
    /// As <see cref="CreateRandomWeight"/> for matrices that share their input (q/k/v, gate/up): one
    /// allocation with the members back to back (each from its own seed, so the values equal separate
    /// calls), which <see cref="CudaBackendOptions.FusedGroupGemm"/> multiplies with one GEMM.
    /// </summary>
    public WeightTensor[] CreateRandomWeightGroup(ReadOnlySpan<(string Name, int Rows, ulong Seed)> members, int cols, float scale)
    {
        using (Enter()) return _weights.CreateRandomGroup(members, cols, scale);
    }

    /// <summary>
    /// Waits for all queued work, K/V copies back to host memory included (surfacing asynchronous
    /// kernel errors).
    /// </summary>
    public void Synchronize()
    {
        using (Enter())
        {
            Begin();
            _graphs.EndForward();
            _device.Synchronize();
            _writeBack.WaitAll();
        }
    }

    /// <summary>
    /// Launches work the backend is holding back: a GEMM group waiting for its other members, a residual
    /// add waiting for its RMSNorm, the CUDA graph chunk being recorded (and with it the copy-back of the
    /// K/V rows it stores).
    /// </summary>
    public void Flush()
    {
        using (Enter())
        {
            Begin();
            _graphs.EndForward();
        }
    }

    /// <summary>Frees all device memory and the context reference.</summary>
    public void Dispose()
    {
        using (Enter())
        {
            if (_disposed) return;
            _disposed = true;
            try
            {
                _device.Synchronize();
            }
            catch (CudaException)
            {
                // Tear down anyway; an earlier asynchronous error was already reported or will be lost.
            }
            _graphs.Dispose(); // abandons a recording still open, and with it its expected copies
            _writeBack.Dispose(); // lands what is queued before the memory goes
            Cublas.cublasDestroy(_blas);
            _ltGemm.Dispose();
            foreach (var pair in _kv) pair.Value.Dispose();
            _kv.Clear();
            _stores.Clear();
            _weights.Dispose();
            _pool.Dispose();
            foreach (var buffer in _gemmInputBuffers) buffer.Dispose();
            _ids.Dispose();
            _partials.Dispose();
            _staging.Dispose();
            _loadStaging.Dispose();
            _groupOutput.Dispose();
            _kernels.Dispose();
            _modules.Dispose();
            _device.Dispose();
        }
    }
}
