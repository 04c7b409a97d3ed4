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
public sealed unsafe class CudaBackend : IComputeBackend, IDisposable
{
    private readonly DeviceGate _gate;
    private readonly CudaDevice _device;
    private readonly KernelModules _modules;
    private readonly DeviceKernels _kernels;
    private readonly DeviceWeights _weights;
    private readonly DeviceResidentStores _stores;
    private readonly ActivationPool _pool;
    private readonly ScratchBuffer _ids, _partials, _staging, _groupOutput;
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
    /// Whether a bf16 segment found only in host memory is loaded layer by layer on a copy stream,
    /// attention of layer l waiting only for layer l (AttentionStore's overlap). When false, all
    /// layers are loaded before the first attention. Copies overlap compute only from page-locked
    /// memory: see <see cref="PinHostMemory"/>.
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
    /// 2048: prefill GEMMs of 2048 rows run near the GPU's rate (7B shapes on the H100: ~700 TFLOP/s against ~750
    /// at 4096), and the engine's uncached 4096-token TinyLlama-1.1B call took 29 ms instead of 35-36 with 512-token
    /// chunks (same machine, alternating). A 7B chunk's activations take ~250 MB.
    /// </summary>
    public int PreferredChunkTokens => 2048;

    /// <summary>Device bytes held by uploaded or created weights.</summary>
    public long WeightBytes => _weights.Bytes;

    /// <summary>
    /// With <see cref="SkinnyGemmPath.CublasLtTuned"/> and <see cref="CudaBackendOptions.TunedPrefillGemms"/>: one line
    /// per GEMM shape planned so far (candidates timed, winner), for benchmark reports.
    /// </summary>
    public IReadOnlyList<string> TunedGemmLog
    {
        get
        {
            using (Enter()) return _ltGemm.Log.ToArray();
        }
    }

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

    /// <inheritdoc />
    public void MatMul(float* x, int m, in WeightTensor w, float* y)
    {
        using (Enter())
        {
            using var chunk = Recorded();
            FlushAttention();
            FlushAdd();
            ulong weights = _weights.Get(w);
            Learn((ulong)x, m, w.Cols, weights);
            long inputs = (long)m * w.Cols, outputs = (long)m * w.Rows;
            if (!Groups(m, w.Cols))
            {
                FlushGroup();
                ulong xb = GemmInput(x, inputs);
                Written((ulong)y, outputs);
                // The third GEMM in a row on one input is a layer's value projection (q, k, v): held for the K/V store.
                if (ValuesIntoSegment && RopeInReaders && _chainLength == 3 && !FloatRanges.Overlap((ulong)y, outputs, (ulong)x, inputs))
                    _heldGemm = new HeldGemm(weights, w.Rows, w.Cols, xb, m, (ulong)y); // launched by the next call
                else
                    Gemm(weights, w.Rows, w.Cols, xb, m, (ulong)y);
                return;
            }
            bool overwritesInput = FloatRanges.Overlap((ulong)y, outputs, (ulong)x, inputs);
            if (!JoinsGroup((ulong)x, m, w.Cols, weights, (ulong)y, outputs, overwritesInput))
            {
                FlushGroup();
                _groupInputBf16 = GemmInput(x, inputs);
                (_groupInput, _groupRows, _groupCols) = ((ulong)x, m, w.Cols);
                // A member that overwrites the shared input must run before anything else reads it.
                _groupFollowers = overwritesInput ? [] : _followers.GetValueOrDefault(weights) ?? [];
            }
            int i = _group.Count++;
            _group.Weights[i] = weights;
            _group.Outputs[i] = (ulong)y;
            _group.Rows[i] = w.Rows;
            Written((ulong)y, outputs);
            bool hold = PrefillPairs(m) && !overwritesInput && (_group.Count == 1 || HoldsSwiGluPair);
            if (!hold && _group.Count >= 1 + _groupFollowers.Length) FlushGroup();
        }
    }

    // A GEMM held back until the next call (ValuesIntoSegment): when that call stores its output as V, the GEMM
    // writes bf16 straight into the segment's device copy; any other call launches it as it was asked.
    private readonly record struct HeldGemm(ulong Weights, int Rows, int Cols, ulong Xb, int M, ulong Y)
    {
        public long Outputs => (long)M * Rows;
    }

    private HeldGemm? _heldGemm;

    private void FlushHeldGemm()
    {
        if (_heldGemm is not { } h) return;
        _heldGemm = null;
        Gemm(h.Weights, h.Rows, h.Cols, h.Xb, h.M, h.Y);
    }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.ValuesIntoSegment"/>.</summary>
    internal bool? ValuesIntoSegmentOverride { get; set; }

    private bool ValuesIntoSegment => ValuesIntoSegmentOverride ?? Options.ValuesIntoSegment;

    // The bf16 copy of x[0, count): the one its producer (RMSNorm, SiluMul, attention, an earlier
    // conversion) left, or a new conversion.
    private ulong GemmInput(float* x, long count)
    {
        ulong xb = _gemmInputs.Find((ulong)x, count);
        if (xb != 0) return xb;
        Reading((ulong)x, count);
        xb = Claim((ulong)x, count, only: false);
        _kernels.ConvertF32ToBf16((ulong)x, xb, count);
        return xb;
    }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.Bf16GemmInputsOnly"/> on a live backend.</summary>
    internal bool? Bf16GemmInputsOnlyOverride { get; set; }

    // Whether an op's output that most likely only a GEMM reads is written as its bf16 copy alone (GemmInputs).
    private bool GemmInputsOnly => Bf16GemmInputsOnlyOverride ?? Options.Bf16GemmInputsOnly;

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.TunedPrefillGemms"/> on a live backend.</summary>
    internal bool? TunedPrefillGemmsOverride { get; set; }

    private bool TunedPrefillGemms => TunedPrefillGemmsOverride ?? Options.TunedPrefillGemms;

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.SkinnyGemm"/> on a live backend.</summary>
    internal SkinnyGemmPath? SkinnyPathOverride { get; set; }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.CudaGraphs"/>.</summary>
    internal bool? GraphsOverride { get; set; }

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

    /// <summary>Benchmarks only: the asynchronous write-back's bytes, drain wait and copy time (see HostWriteBack.Stats).</summary>
    internal (long Bytes, long WaitTicks, long CopyTicks) WriteBackStats => _writeBack.Stats;

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.KvHostWriteBack"/> and <see cref="CudaBackendOptions.AsyncHostWriteBack"/>.</summary>
    internal (bool Enabled, bool Asynchronous)? HostWriteBackOverride { get; set; }

    private (bool Enabled, bool Asynchronous) WriteBackMode => HostWriteBackOverride ?? (Options.KvHostWriteBack, Options.AsyncHostWriteBack);

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

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.SkinnyVariant"/>.</summary>
    internal SkinnyKernelVariant? SkinnyVariantOverride { get; set; }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.SkinnySplits"/>.</summary>
    internal int? SkinnySplitsOverride { get; set; }

    private SkinnyGemmPath SkinnyPath => SkinnyPathOverride ?? Options.SkinnyGemm;

    private bool UseSkinnyKernel(int m, int cols) =>
        SkinnyPath == SkinnyGemmPath.Kernel && !_skinnyUnavailable
        && m <= Math.Min(Options.SkinnyGemmMaxRows, SkinnyGemmPlan.MaxRows) && SkinnyGemmPlan.Supports(cols);

    // Whether GEMMs of this shape are held back to run as a group (one skinny launch, or one fused GEMM).
    private bool Groups(int m, int cols) =>
        UseSkinnyKernel(m, cols) || (Options.FusedGroupGemm && !_fusedGroupUnavailable && m <= Options.SkinnyGemmMaxRows) || PrefillPairs(m);

    // Prefill GEMMs are held one call (two when a second of the same size follows on the same input):
    // a SiluMul over a held pair's outputs makes it a gate/up pair with bf16 outputs (Bf16SwiGlu).
    private bool PrefillPairs(int m) => Bf16SwiGlu && m > Options.SkinnyGemmMaxRows;

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.Bf16SwiGlu"/>.</summary>
    internal bool? Bf16SwiGluOverride { get; set; }

    private bool Bf16SwiGlu => Bf16SwiGluOverride ?? Options.Bf16SwiGlu;

    // Two held prefill GEMMs of one size on one input: if the next call is SiluMul over their outputs, both
    // write bf16 for it; anything else runs them as usual first.
    private bool HoldsSwiGluPair => PrefillPairs(_groupRows) && _group.Count == 2 && _group.Rows[0] == _group.Rows[1];

    // Whether this GEMM is the next learned member of the open group, on the same input, writing
    // where no member of the group reads or writes.
    private bool JoinsGroup(ulong x, int m, int cols, ulong weights, ulong y, long outputs, bool overwritesInput)
    {
        int n = _group.Count;
        if (n == 0 || n >= SkinnyGemmPlan.MaxMembers || overwritesInput) return false;
        if (_groupInput != x || _groupRows != m || _groupCols != cols) return false;
        // A prefill GEMM of the same size after a held one may be the up of a gate/up pair; learned or not,
        // so that the first call computes exactly what the later ones do.
        bool pairs = n == 1 && PrefillPairs(m) && outputs == (long)m * _group.Rows[0];
        if (!pairs && (n - 1 >= _groupFollowers.Length || _groupFollowers[n - 1] != weights)) return false;
        for (int i = 0; i < n; i++)
            if (FloatRanges.Overlap(y, outputs, _group.Outputs[i], (long)m * _group.Rows[i])) return false;
        return true;
    }

    // GEMMs called back to back on the same input (q, k, v; gate, up) form a group: remembered by the
    // first weight, so later calls can hold the first members back until the last one arrives and
    // run them in one skinny launch.
    private void Learn(ulong x, int m, int cols, ulong weights)
    {
        if (_chainLength > 0 && _chainLength < SkinnyGemmPlan.MaxMembers && _chainInput == x && _chainRows == m && _chainCols == cols)
        {
            _chain[_chainLength++] = weights;
            _followers[_chain[0]] = _chain[1.._chainLength];
            return;
        }
        _chain[0] = weights;
        _chainLength = 1;
        (_chainInput, _chainRows, _chainCols) = (x, m, cols);
    }

    // Runs the held-back GEMM group: one skinny launch (variant and K split fixed by the options, or
    // chosen per shape by TuneSkinny), or cublasGemmEx per member when the skinny kernels cannot be
    // built or launched here.
    private void FlushGroup(bool keepSplit = false)
    {
        FlushHeldGemm();
        if (_group.Count == 0)
        {
            if (!keepSplit) FlushSplit();
            return;
        }
        FlushSplit();
        var g = _group;
        _group = default;
        int m = _groupRows, k = _groupCols;
        ulong xb = _groupInputBf16;
        if (g.Count > 1 && Options.FusedGroupGemm && !_fusedGroupUnavailable && m <= Options.SkinnyGemmMaxRows && FusedGroup(ref g, m, k, xb))
        {
            if (!keepSplit) FlushSplit();
            return;
        }
        if (!UseSkinnyKernel(m, k))
        {
            for (int i = 0; i < g.Count; i++) Gemm(g.Weights[i], g.Rows[i], k, xb, m, g.Outputs[i]);
            return;
        }
        if (!_skinnyUnavailable)
        {
            var variant = SkinnyVariantOverride ?? Options.SkinnyVariant;
            int forced = SkinnySplitsOverride ?? Options.SkinnySplits;
            try
            {
                SkinnyCandidate c;
                if (variant != SkinnyKernelVariant.Auto) c = KernelCandidate(g, variant, forced, m, k);
                else
                {
                    var key = (g.Count, g.Rows[0], g.Rows[1], g.Rows[2], k, m);
                    if (!_skinnyChoices.TryGetValue(key, out c))
                    {
                        c = TuneSkinny(g, m, k, xb);
                        _skinnyChoices[key] = c;
                    }
                }
                RunCandidate(c, g, m, k, xb);
                return;
            }
            catch (CudaException e)
            {
                // Compile, load or launch-resource failure: synchronous, so nothing was queued.
                _skinnyUnavailable = true;
                SkinnyKernelError = e.Message;
            }
        }
        for (int i = 0; i < g.Count; i++) GemmEx(g.Weights[i], g.Rows[i], k, xb, m, g.Outputs[i]);
    }

    /// <summary>Why the fused group GEMM (<see cref="CudaBackendOptions.FusedGroupGemm"/>) was given up, or null.</summary>
    public string? FusedGroupError { get; private set; }

    private readonly List<string> _fusedGroupLog = new();

    /// <summary>With <see cref="CudaBackendOptions.FusedGroupGemm"/>: one line per group shape (fused or why not).</summary>
    public IReadOnlyList<string> FusedGroupLog
    {
        get
        {
            using (Enter()) return _fusedGroupLog.ToArray();
        }
    }

    // One GEMM over the group's weights back to back (moved together on first use), then the split:
    // at once for q/k/v, deferred to the SiluMul for gate/up. False (nothing launched, g's weights
    // updated if they moved) when this group cannot be fused; the caller then runs it apart.
    private bool FusedGroup(ref SkinnyGroupArgs g, int m, int k, ulong xb)
    {
        int total = 0;
        bool aligned = true;
        for (int i = 0; i < g.Count; i++)
        {
            total += g.Rows[i];
            aligned &= g.Rows[i] % 4 == 0 && (g.Outputs[i] & 15) == 0;
        }
        var rows = new int[g.Count];
        for (int i = 0; i < g.Count; i++) rows[i] = g.Rows[i];
        string shape = $"{m} x [{string.Join("+", rows)}] x {k}";
        if (!aligned)
        {
            NoteGroup($"group {shape}: apart (outputs not 16-byte aligned multiples of 4 floats)");
            return false;
        }
        var members = new ulong[g.Count];
        for (int i = 0; i < g.Count; i++) members[i] = g.Weights[i];
        ulong[]? placed;
        try
        {
            placed = _weights.Coalesce(members, k);
            // Compile group_split.cu now, before anything is launched, so a build error falls back cleanly.
            _modules.GroupSplit("split_columns");
            _modules.GroupSplit("silu_mul_concat");
        }
        catch (CudaException e)
        {
            _fusedGroupUnavailable = true;
            FusedGroupError = e.Message;
            return false;
        }
        if (placed is null)
        {
            NoteGroup($"group {shape}: apart (weights cannot be placed back to back)");
            return false;
        }
        if (placed[0] != members[0])
        {
            // The weights moved: the learned group and this launch use their new addresses.
            _followers.Remove(members[0]);
            _followers[placed[0]] = placed[1..];
            _chainLength = 0;
            for (int i = 0; i < g.Count; i++) g.Weights[i] = placed[i];
        }
        ulong y = _groupOutput.Get((long)m * total * sizeof(float));
        ulong w = g.Weights[0];
        _ltGemm.Run(w, total, k, xb, m, y, () => GemmEx(w, total, k, xb, m, y));
        if (g.Count == 2 && g.Rows[0] == g.Rows[1])
        {
            _pendingSplit = (y, m, g.Rows[0], g.Outputs[0], g.Outputs[1]);
            _hasPendingSplit = true;
        }
        else
            _kernels.SplitColumns(y, m, g.Outputs[0], g.Rows[0], g.Outputs[1], g.Rows[1], g.Count > 2 ? g.Outputs[2] : 0, g.Count > 2 ? g.Rows[2] : 0);
        NoteGroup($"group {shape}: one GEMM of {total} rows");
        return true;
    }

    private void NoteGroup(string line)
    {
        if (!_fusedGroupLog.Contains(line)) _fusedGroupLog.Add(line);
    }

    // Splits a fused gate/up output that no SiluMul consumed.
    private void FlushSplit()
    {
        if (!_hasPendingSplit) return;
        _hasPendingSplit = false;
        var p = _pendingSplit;
        _kernels.SplitColumns(p.Y, p.M, p.Gate, p.F, p.Up, p.F, 0, 0);
    }

    private enum SkinnyKind { GemmEx, Lt, Kernel }

    private readonly record struct SkinnyCandidate(SkinnyKind Kind, SkinnyKernelVariant Variant, SkinnyGemmPlan.Split Split)
    {
        public override string ToString() => Kind == SkinnyKind.Kernel ? $"{Variant}/s{Split.Splits}" : Kind == SkinnyKind.Lt ? "cuBLASLt" : "cublasGemmEx";
    }

    private readonly Dictionary<(int, int, int, int, int, int), SkinnyCandidate> _skinnyChoices = new();
    private readonly List<string> _skinnyTuneLog = new();

    /// <summary>With <see cref="SkinnyKernelVariant.Auto"/>: one line per GEMM group shape tuned so far (every candidate's time, the winner).</summary>
    public IReadOnlyList<string> SkinnyTuneLog
    {
        get
        {
            using (Enter()) return _skinnyTuneLog.ToArray();
        }
    }

    private SkinnyCandidate KernelCandidate(in SkinnyGroupArgs g, SkinnyKernelVariant variant, int forcedSplits, int m, int k)
    {
        int blocks = 0;
        for (int i = 0; i < g.Count; i++) blocks += SkinnyGemmPlan.Blocks(g.Rows[i], SkinnyGemmPlan.BlockRows(variant));
        return new SkinnyCandidate(SkinnyKind.Kernel, variant, SkinnyGemmPlan.Choose(blocks, k, m, _device.MultiprocessorCount, variant, forcedSplits));
    }

    private void RunCandidate(SkinnyCandidate c, SkinnyGroupArgs g, int m, int k, ulong xb)
    {
        switch (c.Kind)
        {
            case SkinnyKind.GemmEx:
                for (int i = 0; i < g.Count; i++) GemmEx(g.Weights[i], g.Rows[i], k, xb, m, g.Outputs[i]);
                break;
            case SkinnyKind.Lt:
                for (int i = 0; i < g.Count; i++)
                {
                    ulong w = g.Weights[i], y = g.Outputs[i];
                    int rows = g.Rows[i];
                    _ltGemm.Run(w, rows, k, xb, m, y, () => GemmEx(w, rows, k, xb, m, y));
                }
                break;
            default:
                int blockRows = SkinnyGemmPlan.BlockRows(c.Variant);
                g.Starts[0] = 0;
                for (int i = 0; i < g.Count; i++) g.Starts[i + 1] = g.Starts[i] + SkinnyGemmPlan.Blocks(g.Rows[i], blockRows);
                _kernels.SkinnyGemm(g, xb, m, k, c.Split, c.Variant);
                break;
        }
    }

    // Times every candidate on the group's real operands (median of 5 after one untimed run, GPU
    // events) and returns the fastest; the winner then writes the outputs. A kernel candidate that
    // fails to compile or launch is skipped; when all of them fail the error is kept in SkinnyKernelError.
    private SkinnyCandidate TuneSkinny(SkinnyGroupArgs g, int m, int k, ulong xb)
    {
        _device.BreakCapture(); // timed with events: runs directly
        var candidates = new List<SkinnyCandidate> { new(SkinnyKind.GemmEx, default, default), new(SkinnyKind.Lt, default, default) };
        foreach (var v in new[] { SkinnyKernelVariant.Rows64, SkinnyKernelVariant.Rows32, SkinnyKernelVariant.Rows64Pipelined })
        {
            var auto = KernelCandidate(g, v, 0, m, k);
            candidates.Add(auto);
            if (auto.Split.Splits != 1) candidates.Add(KernelCandidate(g, v, 1, m, k));
        }
        var best = (Candidate: candidates[0], Ms: double.MaxValue);
        var parts = new List<string>();
        string? kernelError = null;
        int kernelsRun = 0;
        foreach (var c in candidates)
        {
            try
            {
                RunCandidate(c, g, m, k, xb);
                var times = new double[5];
                using var start = CudaEvent.Create(_device.Context);
                using var end = CudaEvent.Create(_device.Context);
                for (int i = 0; i < times.Length; i++)
                {
                    start.Record(_device.Stream);
                    RunCandidate(c, g, m, k, xb);
                    end.Record(_device.Stream);
                    times[i] = end.MillisecondsSince(start);
                }
                Array.Sort(times);
                double ms = times[times.Length / 2];
                parts.Add($"{c} {ms * 1e3:0}us");
                if (c.Kind == SkinnyKind.Kernel) kernelsRun++;
                if (ms < best.Ms) best = (c, ms);
            }
            catch (CudaException e)
            {
                if (c.Kind != SkinnyKind.Kernel) throw;
                kernelError ??= e.Message;
                parts.Add($"{c} failed ({e.Message.Split('\n')[0]})");
            }
        }
        if (kernelsRun == 0 && kernelError is not null)
        {
            SkinnyKernelError = kernelError;
            _skinnyUnavailable = true; // do not recompile the broken unit for every shape
        }
        string rows = string.Join("+", Enumerable.Range(0, g.Count).Select(i => g.Rows[i]));
        _skinnyTuneLog.Add($"skinny {m} x [{rows}] x {k}: {string.Join(", ", parts)} -> {best.Candidate}");
        RunCandidate(best.Candidate, g, m, k, xb);
        return best.Candidate;
    }

    // Held-back residual add, when nothing fused it.
    private void FlushAdd()
    {
        if (!_hasPendingAdd) return;
        _hasPendingAdd = false;
        _kernels.Add(_pendingAdd.X, _pendingAdd.R, _pendingAdd.Count);
    }

    // Every call but MatMul/Add/RmsNorm: launch what is held back, in call order, and end any GEMM chain.
    private void Begin()
    {
        FlushAttention();
        FlushGroup();
        FlushAdd();
        _chainLength = 0;
    }

    /// <summary>Why the skinny-GEMM kernel was given up (and cublasGemmEx used instead), or null.</summary>
    public string? SkinnyKernelError { get; private set; }

    /// <summary>Why the fused add + RMSNorm was given up, or null.</summary>
    public string? FusedNormError { get; private set; }

    // y[m × rows] = x[m × cols] · Wᵀ. Column-major view: yᵀ (rows × m) = W (rows × cols, stored as
    // colmajor cols × rows, hence op T) · xᵀ (colmajor cols × m).
    private void Gemm(ulong w, int rows, int cols, ulong xb, int m, ulong y)
    {
        bool tuned = m <= Options.SkinnyGemmMaxRows ? SkinnyPath == SkinnyGemmPath.CublasLtTuned : TunedPrefillGemms;
        if (tuned)
            _ltGemm.Run(w, rows, cols, xb, m, y, () => GemmEx(w, rows, cols, xb, m, y));
        else
            GemmEx(w, rows, cols, xb, m, y);
    }

    // outputType: Cublas.R32F (the seam's activations) or Cublas.R16BF (scratch for a fused pass).
    private void GemmEx(ulong w, int rows, int cols, ulong xb, int m, ulong y, int outputType = Cublas.R32F)
    {
        float alpha = 1f, beta = 0f;
        CudaCheck.Blas(Cublas.cublasGemmEx(_blas, Cublas.OpT, Cublas.OpN, rows, m, cols,
            &alpha, w, Cublas.R16BF, cols, xb, Cublas.R16BF, cols,
            &beta, y, outputType, rows, Cublas.Compute32F, Cublas.GemmDefault));
    }

    /// <inheritdoc />
    public void AddBias(float* x, int m, float[] bias)
    {
        using (Enter())
        {
            using var chunk = Recorded();
            Begin();
            Reading((ulong)x, (long)m * bias.Length);
            Written((ulong)x, (long)m * bias.Length);
            _kernels.AddBias((ulong)x, _stores.Vector(bias), bias.Length, (long)m * bias.Length);
        }
    }

    /// <inheritdoc />
    public void RmsNorm(float* x, float* y, int rows, int width, float[] weight, float eps)
    {
        if (weight.Length != width) throw new ArgumentException($"RMSNorm weight has {weight.Length} values for rows of {width}.", nameof(weight));
        using (Enter())
        {
            using var chunk = Recorded();
            FlushAttention();
            FlushGroup();
            _chainLength = 0;
            long count = (long)rows * width;
            ulong w = _stores.Vector(weight);
            Reading((ulong)x, count);
            // A norm into another buffer feeds GEMMs (its bf16 copy alone is written); one in place is
            // Qwen3's q/k norm, which RoPE reads next.
            bool only = GemmInputsOnly && !FloatRanges.Overlap((ulong)y, count, (ulong)x, count);
            ulong yf = only ? 0 : (ulong)y;
            if (_hasPendingAdd && _pendingAdd.X == (ulong)x && _pendingAdd.Count == count && CanFuseNorm(width, (ulong)x, (ulong)y, _pendingAdd.R))
            {
                _hasPendingAdd = false;
                ulong fusedCopy = Claim((ulong)y, count, only);
                try
                {
                    _kernels.AddRmsNorm((ulong)x, _pendingAdd.R, yf, w, rows, width, eps, fusedCopy);
                    return;
                }
                catch (CudaException e)
                {
                    _fusedNormUnavailable = true;
                    FusedNormError = e.Message;
                    _hasPendingAdd = true; // run it alone below
                }
            }
            FlushAdd();
            ulong copy = Claim((ulong)y, count, only);
            _kernels.RmsNorm((ulong)x, yf, w, rows, width, eps, copy);
        }
    }

    private bool CanFuseNorm(int width, ulong x, ulong y, ulong r) =>
        !_fusedNormUnavailable && width > 256 && width % 4 == 0 && ((x | y | r) & 15) == 0;

    /// <inheritdoc />
    public void Rope(float* x, int m, int heads, RopeTable table, RopeStyle style)
    {
        if (table.Tokens < m) throw new ArgumentException($"The RoPE table has {table.Tokens} rows for {m} tokens.", nameof(table));
        using (Enter())
        {
            using var chunk = Recorded();
            bool defer = RopeInReaders && m > 0;
            bool newTable = _deferredRopes.AnyFrom(table);
            // Deferred, nothing is launched here but the table's upload, which only held attention may read: a held
            // value projection stays held for the K/V store (ValuesIntoSegment).
            if (defer && !newTable) FlushAttention();
            else Begin();
            if (newTable) _deferredRopes.ApplyAll(); // they read the device table replaced now
            var (cos, sin) = _stores.Rope(table);
            Reading((ulong)x, (long)m * heads * 2 * table.HalfDim);
            Written((ulong)x, (long)m * heads * 2 * table.HalfDim);
            bool interleaved = style == RopeStyle.Interleaved;
            if (defer)
            {
                _deferredRopes.Defer(new DeferredRopes.Pending((ulong)x, m, heads, table.HalfDim, interleaved, cos, sin, table));
                return;
            }
            LaunchRope((ulong)x, cos, sin, m, heads, table.HalfDim, interleaved);
        }
    }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.RopeInReaders"/>.</summary>
    internal bool? RopeInReadersOverride { get; set; }

    private bool RopeInReaders => RopeInReadersOverride ?? Options.RopeInReaders;

    /// <summary>Value projections written straight into a segment's device copy (checks: the path ran).</summary>
    internal long ValuesProjectedIntoSegments { get; private set; }

    /// <summary>K/V stores that rotated K themselves, and wgmma launches that rotated q as they loaded it (checks: the paths ran).</summary>
    internal (long Stores, long Attention) RopesInReaders { get; private set; }

    private void LaunchRope(ulong x, ulong cos, ulong sin, int m, int heads, int half, bool interleaved)
    {
        if (Options.RowRope && !_rowRopeUnavailable && (interleaved || half % 2 == 0))
        {
            try
            {
                _kernels.RopeRows(x, cos, sin, m, heads, half, interleaved);
                return;
            }
            catch (CudaException e)
            {
                _rowRopeUnavailable = true;
                FusedNormError = e.Message;
            }
        }
        _kernels.Rope(x, cos, sin, m, heads, half, interleaved);
    }

    /// <inheritdoc />
    public void SiluMul(float* gate, float* up, long count)
    {
        using (Enter())
        {
            using var chunk = Recorded();
            if (HoldsSwiGluPair && _group.Outputs[0] == (ulong)gate && _group.Outputs[1] == (ulong)up
                && count == (long)_groupRows * _group.Rows[0] && count % 4 == 0 && (((ulong)gate | (ulong)up) & 15) == 0)
            {
                SwiGluBf16(gate, up, count);
                return;
            }
            FlushGroup(keepSplit: true);
            FlushAdd();
            _chainLength = 0;
            var p = _pendingSplit;
            if (_hasPendingSplit && p.Gate == (ulong)gate && p.Up == (ulong)up && count == (long)p.M * p.F)
            {
                // The fused gate/up GEMM's output is split by this one pass.
                _hasPendingSplit = false;
                Written((ulong)up, count);
                ulong fusedCopy = Claim((ulong)gate, count, GemmInputsOnly);
                _kernels.SiluMulConcat(p.Y, p.M, p.F, GemmInputsOnly ? 0 : (ulong)gate, (ulong)up, fusedCopy);
                return;
            }
            FlushSplit();
            Reading((ulong)gate, count);
            Reading((ulong)up, count);
            // SwiGLU's output feeds the down projection: with GemmInputsOnly only its bf16 copy is written.
            ulong copy = Claim((ulong)gate, count, GemmInputsOnly);
            _kernels.SiluMul((ulong)gate, (ulong)up, GemmInputsOnly ? 0 : (ulong)gate, count, copy);
        }
    }

    // The held gate/up pair's GEMMs write bf16 into up's memory (m·f·2 bytes each: both fit in its
    // m·f floats), then one pass makes gate = silu(g)·u and its bf16 copy for the down GEMM.
    private void SwiGluBf16(float* gate, float* up, long count)
    {
        var g = _group;
        _group = default;
        int m = _groupRows, k = _groupCols, f = g.Rows[0];
        ulong xb = _groupInputBf16;
        ulong gateBf16 = (ulong)up, upBf16 = (ulong)up + (ulong)(count * sizeof(ushort));
        FlushAdd();
        _chainLength = 0;
        GemmEx(g.Weights[0], f, k, xb, m, gateBf16, Cublas.R16BF);
        GemmEx(g.Weights[1], f, k, xb, m, upBf16, Cublas.R16BF);
        ulong copy = Claim((ulong)gate, count, GemmInputsOnly); // after the GEMMs that read xb
        _kernels.SiluMulBf16(gateBf16, upBf16, GemmInputsOnly ? 0 : (ulong)gate, copy, count);
    }

    /// <inheritdoc />
    public void Add(float* x, float* y, long count)
    {
        using (Enter())
        {
            using var chunk = Recorded();
            Begin();
            Reading((ulong)x, count);
            Reading((ulong)y, count);
            Written((ulong)x, count);
            if (Options.FuseResidualNorm && !_fusedNormUnavailable)
            {
                // Held back: if the next call is RmsNorm over these rows of x, one kernel does both.
                _pendingAdd = ((ulong)x, (ulong)y, count);
                _hasPendingAdd = true;
                return;
            }
            _kernels.Add((ulong)x, (ulong)y, count);
        }
    }

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
                GemmEx(p.Weights, p.Rows, p.Cols, p.Xb, p.M, vDst, Cublas.R16BF);
                ValuesProjectedIntoSegments++;
                vSource = 0;
            }
            if (rope is var (record, firstRow)
                && DeviceKernels.RopeStoreKvFits(record.Heads, record.Half, record.Interleaved, (ulong)k, (ulong)v, kDst, vDst))
            {
                var (cos, sin) = record.TablesFrom(firstRow);
                _kernels.RopeStoreKv((ulong)k, vSource, kDst, vDst, cos, sin, m, record.Heads, record.Half, record.Interleaved);
                RopesInReaders = (RopesInReaders.Stores + 1, RopesInReaders.Attention);
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

    /// <inheritdoc />
    public void Attention(float* q, int m, int heads, ReadOnlySpan<KvBlock> context, int layer, float* output)
    {
        if (context.Length == 0) throw new ArgumentException("Attention needs at least one K/V block.", nameof(context));
        if (context.Length > KvList.Capacity)
            throw new NotSupportedException($"The CUDA attention kernel takes at most {KvList.Capacity} K/V segments per call; got {context.Length}. Merge modules into fewer segments.");
        var first = context[0].Segment;
        int headDim = first.HeadDim, kvHeads = first.KvHeadCount;
        if (heads % kvHeads != 0) throw new ArgumentException($"{heads} query heads are not a multiple of {kvHeads} kv heads.");
        using (Enter())
        {
            using var chunk = Recorded();
            // q's RoPE, if deferred, is applied by the wgmma kernels as they load q (other kernels read it rotated).
            var rope = QueryRopeFor((ulong)q, m, heads, headDim);
            // The next row group of the held ones: nothing else was called since (Begin would launch them).
            bool joins = JoinsHeldAttention((ulong)q, m, heads, kvHeads, headDim, layer, (ulong)output, rope);
            if (!joins) Begin();
            if (rope.Cos == 0) Reading((ulong)q, (long)m * heads * headDim);
            Written((ulong)output, (long)m * heads * headDim);
            var list = new KvList { Count = context.Length, Stride = first.KvDim };
            int maxTiles = 0;
            for (int i = 0; i < context.Length; i++)
            {
                var block = context[i];
                var seg = block.Segment;
                if (seg.HeadDim != headDim || seg.KvHeadCount != kvHeads || seg.LayerCount <= layer)
                    throw new ArgumentException("All K/V segments of one attention call must have the same shape.", nameof(context));
                var mirror = Mirror(seg);
                // The output block's rows of this chunk were stored for this layer just before (see Stored).
                int present = block.Causal ? Math.Max(mirror.Valid, mirror.Stored) : mirror.Valid;
                if (present < block.Visible)
                {
                    FlushAttention(); // loading may move a device copy the held groups point into
                    if (LayerwiseHostLoad && seg.DataType == KvDataType.BF16 && !block.Causal) LoadLayerwise(seg, mirror);
                    else SyncFromHost(seg, mirror);
                    present = block.Causal ? Math.Max(mirror.Valid, mirror.Stored) : mirror.Valid;
                }
                if (present < block.Visible)
                    throw new InvalidOperationException($"A K/V block claims {block.Visible} visible tokens but its segment holds {present}.");
                if (mirror.LayerReady is { } ready)
                {
                    _device.BreakCapture(); // waits on the copy stream's events: not recorded
                    var arrived = OverlapHostLoad ? ready[layer] : ready[^1];
                    CudaCheck.Driver(CuDriver.cuStreamWaitEvent(_device.Stream.Value, arrived.Value, 0));
                    if (layer == seg.LayerCount - 1) mirror.ClearLayerReady();
                }
                list.Segment[i] = new KvSegmentView
                {
                    Keys = mirror.Keys(layer),
                    Values = mirror.Values(layer),
                    Visible = block.Visible,
                    Causal = block.Causal ? 1 : 0,
                };
                maxTiles += (block.VisibleTo(m - 1) + 63) / 64;
            }
            bool tiled = Options.Attention switch
            {
                AttentionKernel.Simple => false,
                AttentionKernel.Tiled or AttentionKernel.TiledLdmatrix or AttentionKernel.Pipelined or AttentionKernel.PipelinedWide => TiledSupported(headDim) && _device.ComputeCapability.Major >= 8
                    ? true
                    : throw new NotSupportedException($"The tiled attention kernel needs SM 8.0 or newer (this GPU: {_device.ComputeCapability}) and a head dimension that is a multiple of 16 and at most 128 (here {headDim})."),
                _ => TiledSupported(headDim) && _device.ComputeCapability.Major >= 8,
            };
            if (!tiled || !UseWgmma(headDim)) QueryRead(ref rope, q, m, heads, headDim);
            if (!tiled)
            {
                _kernels.AttentionSimple(headDim, (ulong)q, (ulong)output, m, heads, kvHeads, 1f / MathF.Sqrt(headDim), list);
                return;
            }
            float scaleLog2 = (float)(1.0 / Math.Sqrt(headDim) * 1.4426950408889634);
            if (HoldsAttention(m, headDim))
            {
                _heldAttention.Add(new HeldAttention((ulong)q, (ulong)output, m, heads, kvHeads, headDim, layer, scaleLog2, maxTiles, list, rope));
                return;
            }
            if (UseWgmma(headDim) && WgmmaAttention(q, m, heads, kvHeads, headDim, scaleLog2, maxTiles, list, output, rope)) return;
            QueryRead(ref rope, q, m, heads, headDim); // the wgmma kernels could not be built: the others read q rotated
            if (Options.Attention is AttentionKernel.Pipelined or AttentionKernel.PipelinedWide)
            {
                if (!PipelinedSupported(headDim))
                    throw new NotSupportedException($"The pipelined attention kernel needs a head dimension that is a multiple of 32 and at most 128 (here {headDim}).");
                PipelinedAttention(q, m, heads, kvHeads, headDim, scaleLog2, maxTiles, list, output);
                return;
            }
            bool ldmatrix = Options.Attention == AttentionKernel.TiledLdmatrix;
            KvList copy = list;
            ulong qd = (ulong)q, od = (ulong)output;
            RunSplit(ChooseSplits(m, heads, maxTiles), headDim, od, 0, m, heads,
                (partO, partMl, n) => _kernels.AttentionTiled(ldmatrix, headDim, qd, od, partO, partMl, m, heads, kvHeads, scaleLog2, n, copy));
        }
    }

    // [pointer, +count floats) is about to be written: bf16 copies of it no longer hold, deferred RoPE there is
    // dropped (or applied first, for the rows the write leaves).
    private void Written(ulong pointer, long count)
    {
        FlushHeldGemmOver(pointer, count);
        if (_deferredRopes.Touches(pointer, count))
        {
            FlushAttention(); // held attention may still read those rows unrotated, rotating them itself
            _deferredRopes.Written(pointer, count);
        }
        _gemmInputs.Written(pointer, count);
    }

    // [pointer, +count floats) is read as f32 by the next kernel: values kept only in bf16 are written back first,
    // and deferred RoPE there is applied.
    private void Reading(ulong pointer, long count)
    {
        FlushHeldGemmOver(pointer, count);
        if (_deferredRopes.Touches(pointer, count))
        {
            FlushAttention();
            _deferredRopes.Reading(pointer, count);
        }
        _gemmInputs.Reading(pointer, count);
    }

    private void FlushHeldGemmOver(ulong pointer, long count)
    {
        if (_heldGemm is { } h && FloatRanges.Overlap(h.Y, h.Outputs, pointer, count)) FlushHeldGemm();
    }

    // A bf16 copy for the values about to be written to [source, +count floats) (GemmInputs.Claim).
    private ulong Claim(ulong source, long count, bool only)
    {
        FlushHeldGemm(); // the claim may reuse the bf16 buffer the held GEMM reads
        Written(source, count);
        return _gemmInputs.Claim(source, count, only);
    }

    /// <summary>Why the wgmma attention kernel was given up (and the other kernels used), or null.</summary>
    public string? WgmmaAttentionError { get; private set; }

    private bool _wgmmaUnavailable;

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.WgmmaAttention"/>.</summary>
    internal bool? WgmmaOverride { get; set; }

    private bool UseWgmma(int headDim) =>
        (WgmmaOverride ?? Options.WgmmaAttention) && !_wgmmaUnavailable
        && DeviceKernels.WgmmaSupported(headDim) && _device.ComputeCapability is { Major: 9, Minor: 0 };

    /// <summary>Attention calls the wgmma kernel has run (checks: it was used, not silently passed over).</summary>
    internal long WgmmaCalls { get; private set; }

    // Short-query attention calls held back (MergeAttentionGroups): a forward whose rows see different parts
    // of the context calls Attention once per row group, back to back; held, the groups of one layer run as
    // one launch. Any other call launches them first (Begin, MatMul, RmsNorm), so the order never changes.
    private readonly record struct HeldAttention(ulong Q, ulong Output, int M, int Heads, int KvHeads, int HeadDim, int Layer,
        float ScaleLog2, int KeyTiles, KvList List, QueryRope Rope);

    // The deferred RoPE of q's rows as the wgmma kernels take it (from q's first row), or none (Cos 0): q then
    // holds rotated values, or will once Reading has applied its RoPE.
    private QueryRope QueryRopeFor(ulong q, int m, int heads, int headDim)
    {
        if (!UseWgmma(headDim) || headDim % 2 != 0 || _deferredRopes.Covering(q, m, heads, headDim / 2) is not var (record, firstRow))
            return default;
        var (cos, sin) = record.TablesFrom(firstRow);
        return new QueryRope { Cos = cos, Sin = sin, Half = record.Half, Interleaved = record.Interleaved ? 1 : 0 };
    }

    // A kernel that does not rotate q reads it: its deferred RoPE is applied first.
    private void QueryRead(ref QueryRope rope, float* q, int m, int heads, int headDim)
    {
        if (rope.Cos == 0) return;
        Reading((ulong)q, (long)m * heads * headDim);
        rope = default;
    }

    private readonly List<HeldAttention> _heldAttention = new();

    // Rows of all held groups together at most (short queries: a launch per group is a chain of key tiles
    // that leaves the GPU mostly idle; longer queries fill it on their own).
    private const int MaxHeldAttentionRows = 128;

    /// <summary>Launches that ran several attention row groups at once (checks: the merging was used).</summary>
    internal long MergedAttentionLaunches { get; private set; }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.MergeAttentionGroups"/>.</summary>
    internal bool? MergeAttentionGroupsOverride { get; set; }

    private bool HoldsAttention(int m, int headDim) =>
        (MergeAttentionGroupsOverride ?? Options.MergeAttentionGroups) && UseWgmma(headDim)
        && _heldAttention.Sum(h => h.M) + m <= MaxHeldAttentionRows && WgmmaReady(headDim);

    // Compiles (or loads from the disk cache) the wgmma kernels at the first call only; false, with the reason kept,
    // when they cannot be built here.
    private bool WgmmaReady(int headDim)
    {
        try
        {
            _kernels.PrepareAttentionWgmma(headDim);
            return true;
        }
        catch (CudaException e)
        {
            _wgmmaUnavailable = true; // do not recompile the broken unit at every call
            WgmmaAttentionError = e.Message;
            return false;
        }
    }

    // Whether this call continues the held groups: same layer and shape, its rows right after theirs.
    // The launch rotates every group's q from the first group's RoPE rows on, or none: all or none of them defer it.
    private bool JoinsHeldAttention(ulong q, int m, int heads, int kvHeads, int headDim, int layer, ulong output, QueryRope rope)
    {
        if (_heldAttention.Count == 0 || _heldAttention.Count == KvGroups.Capacity) return false;
        var last = _heldAttention[^1];
        ulong bytes = (ulong)((long)last.M * heads * headDim * sizeof(float));
        ulong ropeBytes = (ulong)((long)last.M * last.Rope.Half * sizeof(float));
        bool ropeFollows = rope.Cos == 0 ? last.Rope.Cos == 0 : last.Rope.Cos != 0 && rope.Cos == last.Rope.Cos + ropeBytes && rope.Sin == last.Rope.Sin + ropeBytes;
        return last.Layer == layer && last.Heads == heads && last.KvHeads == kvHeads && last.HeadDim == headDim
            && q == last.Q + bytes && output == last.Output + bytes && ropeFollows && _heldAttention.Sum(h => h.M) + m <= MaxHeldAttentionRows;
    }

    private void FlushAttention()
    {
        if (_heldAttention.Count == 0) return;
        var held = _heldAttention.ToArray();
        _heldAttention.Clear();
        var first = held[0];
        if (held.Length == 1)
        {
            if (!WgmmaAttention((float*)first.Q, first.M, first.Heads, first.KvHeads, first.HeadDim, first.ScaleLog2, first.KeyTiles, first.List, (float*)first.Output, first.Rope))
                throw new InvalidOperationException("The wgmma attention kernel was prepared but could not be launched.");
            return;
        }
        var groups = new KvGroups { Count = held.Length };
        int rows = 0, blocks = 0, keyTiles = 0;
        for (int i = 0; i < held.Length; i++)
        {
            groups.List[i] = held[i].List;
            groups.FirstRow[i] = rows;
            groups.Rows[i] = held[i].M;
            groups.FirstBlock[i] = blocks;
            rows += held[i].M;
            blocks += (held[i].M + 63) / 64;
            keyTiles = Math.Max(keyTiles, held[i].KeyTiles);
        }
        groups.FirstBlock[held.Length] = blocks;
        groups.TotalRows = rows;
        int heads = first.Heads, kvHeads = first.KvHeads, headDim = first.HeadDim;
        ulong od = first.Output, qd = first.Q;
        ulong ob = GemmInputsOnly ? Claim(od, (long)rows * heads * headDim, only: true) : 0;
        float scaleLog2 = first.ScaleLog2;
        LaunchSplit(SplitKernel.WgmmaGroups, 64, rows, heads, kvHeads, headDim, keyTiles, od, ob,
            (partO, partMl, n) => _kernels.AttentionWgmmaGroups(headDim, qd, od, ob, partO, partMl, heads, kvHeads, scaleLog2, n, groups, first.Rope),
            blockRows: 64 * blocks);
        WgmmaCalls += held.Length;
        MergedAttentionLaunches++;
        if (first.Rope.Cos != 0) RopesInReaders = (RopesInReaders.Stores, RopesInReaders.Attention + 1);
    }

    // Hopper, head_dim 64 or 128: the wgmma kernels, the keys split over blocks when there are too few of
    // them to fill the GPU. False (nothing launched) when they cannot be compiled.
    private bool WgmmaAttention(float* q, int m, int heads, int kvHeads, int headDim, float scaleLog2, int keyTiles, in KvList list, float* output, QueryRope rope)
    {
        if (!WgmmaReady(headDim)) return false;
        // Prefill at head dimension 128 takes the warp-specialised kernel (or the two-warpgroup one; 128 rows per
        // block); short queries and head dimension 64 the one-warpgroup one (RESULTS.md, sessions 5 and 10).
        bool wide = headDim == 128 && m > DeviceKernels.WgmmaRows(false);
        bool ws = wide && WarpSpecializedAttention;
        KvList copy = list;
        ulong qd = (ulong)q, od = (ulong)output;
        // The output projection reads it next: with GemmInputsOnly only its bf16 copy is written.
        ulong ob = GemmInputsOnly ? Claim(od, (long)m * heads * headDim, only: true) : 0;
        if (ws)
            LaunchSplit(SplitKernel.WgmmaWs, DeviceKernels.WsRows, m, heads, kvHeads, headDim, keyTiles, od, ob,
                (partO, partMl, n) => _kernels.AttentionWgmmaWs(headDim, qd, od, ob, partO, partMl, m, heads, kvHeads, scaleLog2, n, copy, rope));
        else
            LaunchSplit(wide ? SplitKernel.WgmmaWide : SplitKernel.Wgmma, DeviceKernels.WgmmaRows(wide), m, heads, kvHeads, headDim, keyTiles, od, ob,
                (partO, partMl, n) => _kernels.AttentionWgmma(wide, headDim, qd, od, ob, partO, partMl, m, heads, kvHeads, scaleLog2, n, copy, rope));
        WgmmaCalls++;
        if (rope.Cos != 0) RopesInReaders = (RopesInReaders.Stores, RopesInReaders.Attention + 1);
        return true;
    }

    // Prefill (many rows) takes the 128-row blocks when asked; short queries always the 64-row ones,
    // with the keys split so that about two blocks per SM are resident at once (flash decoding):
    // each block keeps a 64-key tile of K and V in flight while it multiplies the previous one.
    private void PipelinedAttention(float* q, int m, int heads, int kvHeads, int headDim, float scaleLog2, int keyTiles, in KvList list, float* output)
    {
        bool wide = Options.Attention == AttentionKernel.PipelinedWide && m > DeviceKernels.PipelinedRows(false);
        KvList copy = list;
        ulong qd = (ulong)q, od = (ulong)output;
        LaunchSplit(wide ? SplitKernel.PipelinedWide : SplitKernel.Pipelined, DeviceKernels.PipelinedRows(wide), m, heads, kvHeads, headDim, keyTiles, od, 0,
            (partO, partMl, n) => _kernels.AttentionPipelined(wide, headDim, qd, od, partO, partMl, m, heads, kvHeads, scaleLog2, n, copy));
    }

    private enum SplitKernel { Pipelined, PipelinedWide, Wgmma, WgmmaWide, WgmmaGroups, WgmmaWs }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.WarpSpecializedAttention"/>.</summary>
    internal bool? WarpSpecializedAttentionOverride { get; set; }

    private bool WarpSpecializedAttention => WarpSpecializedAttentionOverride ?? Options.WarpSpecializedAttention;

    // A kernel that can split the keys (`launch(partO, partMl, splits)`), `rows` query rows per block, run
    // with the split chosen (for short queries, tuned) for this shape, then the merge of its partials.
    // blockRows: what the split is chosen for when it is not m, for a launch of several row groups (their
    // blocks × rows); such a launch is a short query's.
    private void LaunchSplit(SplitKernel kind, int rows, int m, int heads, int kvHeads, int headDim, int keyTiles, ulong output, ulong outputBf16,
        Action<ulong, ulong, int> launch, int? blockRows = null)
    {
        int planned = blockRows ?? m;
        void Run(int splits) => RunSplit(splits, headDim, output, outputBf16, m, heads, launch);
        // Tuned per power-of-two class of rows and key tiles: a decode step crosses into a new tile every
        // 64 tokens and suffixes vary in length, and timing each exact shape would stall those calls.
        var shape = (TuningClass.Of(planned), heads, kvHeads, headDim, TuningClass.Of(keyTiles), kind);
        Run(Splits(planned, heads, keyTiles, rows, shape, Run, shortQuery: blockRows is not null || m <= SkinnyGemmPlan.MaxRows));
    }

    // Key splits for a kernel of `rows` query rows per block: forced by the options, one when the blocks
    // already fill a wave, else about two blocks per SM; for short queries, optionally timed around that.
    private int Splits(int m, int heads, int keyTiles, int rows, (int, int, int, int, int, SplitKernel) shape, Action<int> run, bool shortQuery)
    {
        int cap = Math.Min(Math.Max(keyTiles, 1), DeviceKernels.MaxAttentionSplits);
        if (Options.AttentionSplits > 0) return Math.Max(1, Math.Min(Options.AttentionSplits, cap));
        long blocks = (long)((m + rows - 1) / rows) * heads;
        // Rounded down: one full wave. Each split also writes and re-reads m × head_dim partials per
        // head, so more splits than that cost bandwidth (at m = 48, 8 splits already add ~20 %).
        long target = 2L * _device.MultiprocessorCount;
        if (blocks >= target) return 1;
        int splits = (int)Math.Clamp(target / blocks, 1, cap);
        return Options.TuneAttentionSplits && shortQuery ? TunedSplits(shape, splits, keyTiles, run) : splits;
    }

    // One launch of a kernel that can split the keys (`launch(partO, partMl, splits)`), then the merge of
    // its partial results when it did (into output, or only its bf16 copy when outputBf16 is not 0).
    private void RunSplit(int splits, int headDim, ulong output, ulong outputBf16, int m, int heads, Action<ulong, ulong, int> launch)
    {
        if (splits == 1)
        {
            launch(0, 0, 1);
            return;
        }
        long partialRows = (long)splits * m * heads;
        ulong partials = _partials.Get(partialRows * (headDim + 2) * sizeof(float));
        ulong partO = partials, partMl = partials + (ulong)(partialRows * headDim * sizeof(float));
        launch(partO, partMl, splits);
        _kernels.AttentionCombine(headDim, partO, partMl, output, outputBf16, m, heads, splits);
    }

    private readonly Dictionary<(int, int, int, int, int, SplitKernel), int> _attentionSplits = new();
    private readonly List<string> _attentionTuneLog = new();

    /// <summary>With <see cref="CudaBackendOptions.TuneAttentionSplits"/>: one line per short-query attention shape tuned so far.</summary>
    public IReadOnlyList<string> AttentionTuneLog
    {
        get
        {
            using (Enter()) return _attentionTuneLog.ToArray();
        }
    }

    // Short queries over long contexts: the key split that fills the GPU best depends on the context
    // length and the tile pipeline; time a few around the computed one at the first call of the shape
    // class (median of 5, GPU events; each run writes the same output) and keep the fastest for it.
    private int TunedSplits((int, int, int, int, int, SplitKernel) key, int computed, int keyTiles, Action<int> run)
    {
        int cap = Math.Min(Math.Max(keyTiles, 1), DeviceKernels.MaxAttentionSplits);
        if (_attentionSplits.TryGetValue(key, out int known)) return Math.Min(known, cap);
        _device.BreakCapture(); // timed with events: runs directly
        var candidates = new[] { computed / 2, computed, computed * 3 / 2, computed * 2, computed * 3, computed * 4 }
            .Select(c => Math.Clamp(c, 1, cap)).Distinct().ToArray();
        int best = computed;
        double bestMs = double.MaxValue;
        var parts = new List<string>();
        using var start = CudaEvent.Create(_device.Context);
        using var end = CudaEvent.Create(_device.Context);
        foreach (int c in candidates)
        {
            run(c);
            var times = new double[5];
            for (int i = 0; i < times.Length; i++)
            {
                start.Record(_device.Stream);
                run(c);
                end.Record(_device.Stream);
                times[i] = end.MillisecondsSince(start);
            }
            Array.Sort(times);
            double ms = times[times.Length / 2];
            parts.Add($"{c} splits {ms * 1e3:0}us");
            if (ms < bestMs) (best, bestMs) = (c, ms);
        }
        _attentionSplits[key] = best;
        _attentionTuneLog.Add($"attention {key.Item1} rows x {key.Item2}/{key.Item3} heads over {keyTiles} key tiles (up to {key.Item5}): {string.Join(", ", parts)} -> {best}");
        return best;
    }

    /// <summary>Whether the pipelined attention kernels (attention_pipelined.cu) handle <paramref name="headDim"/>.</summary>
    public static bool PipelinedSupported(int headDim) => headDim % 32 == 0 && headDim > 0 && headDim <= 128;

    /// <summary>Whether the tensor-core attention kernel handles <paramref name="headDim"/>.</summary>
    public static bool TiledSupported(int headDim) => headDim % 16 == 0 && headDim <= 128;

    // Few query rows over a long context leave most SMs idle; split the keys so that about two
    // blocks per SM run, but never more splits than key tiles.
    private int ChooseSplits(int m, int heads, int keyTiles)
    {
        if (Options.AttentionSplits > 0) return Math.Max(1, Math.Min(Options.AttentionSplits, Math.Min(Math.Max(keyTiles, 1), DeviceKernels.MaxAttentionSplits)));
        long blocks = (long)((m + 63) / 64) * heads;
        long target = 2L * _device.MultiprocessorCount;
        if (blocks >= target) return 1;
        return (int)Math.Clamp((target + blocks - 1) / blocks, 1, Math.Min(Math.Max(keyTiles, 1), DeviceKernels.MaxAttentionSplits));
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
                if (segment.DataType == KvDataType.F32)
                {
                    _kernels.ConvertF32ToBf16(staging, mirror.Keys(layer), values);
                    _kernels.ConvertF32ToBf16(staging + (ulong)half, mirror.Values(layer), values);
                }
                else
                {
                    _kernels.ConvertF16ToBf16(staging, mirror.Keys(layer), values);
                    _kernels.ConvertF16ToBf16(staging + (ulong)half, mirror.Values(layer), values);
                }
            }
        }
        mirror.Valid = count;
    }

    // Queues every layer's K and V on the copy stream, one event per layer; the compute stream waits
    // per layer in Attention, so layer l's attention overlaps the copies of the layers after it.
    private void LoadLayerwise(KvSegment segment, DeviceKvSegment mirror)
    {
        int count = segment.Count;
        if (count == 0) return;
        segment.WaitForHostWrites(); // the host bytes must be current before they are uploaded
        _device.BreakCapture(); // the copy stream joins the compute stream by events: not recorded
        Grow(mirror, count);
        mirror.ClearLayerReady();
        var copy = _device.CopyStream;
        // Anything the compute stream still does with this block (a grow copy) comes first.
        using (var before = CudaEvent.Create(_device.Context))
        {
            before.Record(_device.Stream);
            CudaCheck.Driver(CuDriver.cuStreamWaitEvent(copy.Value, before.Value, 0));
        }
        long half = (long)count * segment.KvDim * sizeof(ushort);
        var ready = new CudaEvent[segment.LayerCount];
        for (int layer = 0; layer < segment.LayerCount; layer++)
        {
            CudaCheck.Driver(CuDriver.cuMemcpyHtoDAsync(mirror.Keys(layer), SegmentKeys(segment, layer), (nuint)half, copy.Value));
            CudaCheck.Driver(CuDriver.cuMemcpyHtoDAsync(mirror.Values(layer), SegmentValues(segment, layer), (nuint)half, copy.Value));
            ready[layer] = CudaEvent.Create(_device.Context);
            CudaCheck.Driver(CuDriver.cuEventRecord(ready[layer].Value, copy.Value));
        }
        mirror.LayerReady = ready;
        mirror.Valid = count;
    }

    /// <summary>
    /// Page-locks the host memory of <paramref name="segment"/> (cuMemHostRegister) so loads from it
    /// run asynchronously at full PCIe rate. Call <see cref="UnpinHostMemory"/> before the segment is
    /// disposed or grown. Returns false when the driver refuses (loads still work, synchronously).
    /// </summary>
    public bool PinHostMemory(KvSegment segment)
    {
        using (Enter())
        {
            Begin();
            _device.BreakCapture(); // registering may synchronise the device, which would invalidate a recording
            _device.MakeCurrent();
            return CuDriver.cuMemHostRegister(SegmentKeys(segment, 0), (nuint)(segment.BytesPerToken * segment.Capacity), 0) == 0;
        }
    }

    /// <summary>Undoes <see cref="PinHostMemory"/>.</summary>
    public void UnpinHostMemory(KvSegment segment)
    {
        using (Enter())
        {
            Begin();
            _device.Synchronize();
            CudaCheck.Driver(CuDriver.cuMemHostUnregister(SegmentKeys(segment, 0)));
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
            _groupOutput.Dispose();
            _modules.Dispose();
            _device.Dispose();
        }
    }
}
