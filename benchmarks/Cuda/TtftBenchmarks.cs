using System.Diagnostics;
using PromptCache.Cuda.Backend;
using PromptCache.Cuda.Interop;
using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Models;

namespace PromptCache.Cuda.Bench;

/// <summary>TTFT of uncached prefill and of cached calls on a random Llama-2-7B-shaped model made on the GPU.</summary>
internal sealed unsafe class TtftBenchmarks
{
    private readonly BenchSettings _s;
    private readonly List<string> _table = new();
    private SkinnyGemmPath _skinny = SkinnyGemmPath.CublasGemmEx;
    private SkinnyKernelVariant _skinnyVariant = SkinnyKernelVariant.Auto;
    private bool _fuseNorm;
    private bool _fusedGroup;
    private static bool _tuneSplits;
    private bool _graphs;
    private bool _wgmma;
    private bool _ropeInReaders;
    private bool _valuesIntoSegment;
    private bool _bf16SwiGlu;
    private bool _swiGluGemm;
    private bool _pairedSwiGlu;
    private bool _residualInGemm;
    private bool _tmaAttention;
    private bool _persistentAttention;
    private bool _wideKeySteps;

    public TtftBenchmarks(BenchSettings settings) => _s = settings;

    // HF transformers 5.17, H100, bf16 SDPA (shared/BENCHMARKS.md), Llama-2-7B shape.
    private static readonly Dictionary<int, double> HfPrefill = new() { [512] = 21.8, [1024] = 33.0, [2048] = 65.2, [4096] = 130.4, [8192] = 270.6 };
    private static readonly Dictionary<int, double> HfPrefixReuse = new() { [512] = 26.5, [1024] = 27.7, [2048] = 26.8, [4096] = 49.6, [8192] = 45.3 };

    /// <summary>True when a shape after the first failed (printed, the remaining shapes still ran).</summary>
    public bool ShapeFailed { get; private set; }

    // The timings use a path only when its checks passed in this run; the log says which ones they use.
    private static bool Timed(string path, bool on)
    {
        Console.WriteLine($"{path} for the timings: {on}");
        return on;
    }

    public void Run()
    {
        if (!_s.Check)
        {
            // Each fused path is timed only after its check passed in this run, so `bench` alone times the baseline.
            Console.WriteLine("Timings without the checks: every fused path below is off (they are timed only after their checks pass in the same run; `all` runs both).");
        }
        _fuseNorm = Timed("Residual add fused with RMSNorm, and row RoPE,", _s.FuseNorm switch { "on" => true, "off" => false, _ => _s.Check && CorrectnessChecks.FusedNormPassed });
        _tuneSplits = _s.Check && CorrectnessChecks.TunedSplitsPassed;
        _graphs = Timed("CUDA graphs (forwards recorded in chunks)", _s.Check && CorrectnessChecks.GraphsPassed);
        _wgmma = Timed("wgmma attention (Hopper, head_dim 128)", _s.Check && CorrectnessChecks.WgmmaPassed);
        _ropeInReaders = Timed("RoPE in its readers (the K/V store, the wgmma Q load)", _s.Check && CorrectnessChecks.RopeInReadersPassed);
        _valuesIntoSegment = Timed("V projected into the segment", _ropeInReaders && CorrectnessChecks.ValuesIntoSegmentPassed);
        _swiGluGemm = Timed("gate/up GEMMs with SiLU·mul in their epilogue (SwiGLU GEMM)", _s.Check && CorrectnessChecks.SwiGluGemmPassed);
        _pairedSwiGlu = Timed("SwiGLU GEMM in clusters of two blocks (weights multicast)", _swiGluGemm && CorrectnessChecks.PairedSwiGluPassed);
        _residualInGemm = Timed("Residual added inside the output and down projections (prefill)", _s.Check && CorrectnessChecks.ResidualInGemmPassed);
        _tmaAttention = Timed("Warp-specialised attention's K/V tiles by the copy engine (TMA)", _wgmma && CorrectnessChecks.TmaAttentionPassed);
        _persistentAttention = Timed("Persistent warp-specialised attention (a block per SM)", _wgmma && CorrectnessChecks.PersistentAttentionPassed);
        _wideKeySteps = Timed("Warp-specialised attention in 128-key steps", _tmaAttention && CorrectnessChecks.WideKeyStepsPassed);
        // Opt-in (library default off): timed only in its own A/B rows, the others run the defaults.
        _bf16SwiGlu = _s.Check && CorrectnessChecks.Bf16SwiGluPassed;
        Console.WriteLine($"bf16 gate/up GEMMs feeding SiLU·mul (opt-in): A/B rows only: {_bf16SwiGlu}");
        Console.WriteLine($"Short-query attention key splits tuned per shape for the timings: {_tuneSplits}");
        var kernel = ChooseKernel();
        Console.WriteLine($"Attention kernel for the timings: {kernel}");
        (_skinny, _fusedGroup, _skinnyVariant) = ChooseSkinnyGemm(kernel);
        Console.WriteLine($"Skinny GEMMs (<= 64 rows) for the timings: {_skinny}{(_skinny != SkinnyGemmPath.Kernel ? "" : _skinnyVariant == SkinnyKernelVariant.Auto ? " (variant, split or cuBLAS tuned per shape at its first call)" : $" ({_skinnyVariant})")}");
        Console.WriteLine($"q/k/v and gate/up as one GEMM over weights placed back to back, for the timings: {_fusedGroup}");
        try
        {
            FusedGroupShapes(RandomModels.Llama2_7B(1));
        }
        catch (Exception e)
        {
            Console.WriteLine($"Fused group shapes failed: {e.GetType().Name}: {e.Message}");
        }
        try
        {
            // On a backend of its own: a variant that fails here must not switch the timed backend to cuBLAS.
            using var diagnostics = new CudaBackend(new CudaBackendOptions { KvHostWriteBack = false });
            SkinnyShapes(diagnostics, RandomModels.Llama2_7B(1));
        }
        catch (Exception e)
        {
            Console.WriteLine($"Skinny shapes failed: {e.GetType().Name}: {e.Message}");
        }
        for (int i = 0; i < _s.Shapes.Length; i++)
        {
            // The first shape's failure propagates as before; a later (newer) shape's failure is
            // reported without hiding the table already printed.
            if (i == 0)
            {
                RunShape(_s.Shapes[i], kernel);
                continue;
            }
            try
            {
                RunShape(_s.Shapes[i], kernel);
            }
            catch (Exception e)
            {
                ShapeFailed = true;
                Console.WriteLine($"BENCHMARK FAILED ({_s.Shapes[i]}): {e}");
            }
        }
    }

    // The fused paths one more prefill ran, by their launch counters: a path that gave up for this shape shows 0.
    private static void PathsLine(CudaBackend cuda, int tokens, Action call)
    {
        long swiGlu = cuda.SwiGluGemmCalls, paired = cuda.PairedSwiGluGemmCalls, residual = cuda.ResidualGemms, values = cuda.ValuesProjectedIntoSegments;
        long tma = cuda.TmaAttentionLaunches, persistent = cuda.PersistentAttentionLaunches, steps = cuda.WideKeyStepLaunches;
        call();
        Console.WriteLine($"Paths in one {tokens}-token prefill (launches): SwiGLU GEMM {cuda.SwiGluGemmCalls - swiGlu} (paired " +
            $"{cuda.PairedSwiGluGemmCalls - paired}), residual in the GEMM " +
            $"{cuda.ResidualGemms - residual}, V into the segment {cuda.ValuesProjectedIntoSegments - values}, TMA attention " +
            $"{cuda.TmaAttentionLaunches - tma}, persistent {cuda.PersistentAttentionLaunches - persistent}, 128-key steps {cuda.WideKeyStepLaunches - steps}");
    }

    private void RunShape(string shape, AttentionKernel kernel)
    {
        _table.Clear();
        Console.WriteLine();
        using var cuda = new CudaBackend(new CudaBackendOptions { KvHostWriteBack = false, Attention = kernel, SkinnyGemm = _skinny, SkinnyVariant = _skinnyVariant, FuseResidualNorm = _fuseNorm, RowRope = _fuseNorm, TuneAttentionSplits = _tuneSplits, FusedGroupGemm = _fusedGroup, CudaGraphs = _graphs, WgmmaAttention = _wgmma, RopeInReaders = _ropeInReaders, ValuesIntoSegment = _valuesIntoSegment, FusedSwiGluGemm = _swiGluGemm, PairedSwiGluGemm = _pairedSwiGlu, ResidualInGemm = _residualInGemm, TmaAttentionLoads = _tmaAttention, PersistentAttention = _persistentAttention, WideKeySteps = _wideKeySteps });
        var dev = cuda.Device;
        Console.WriteLine($"Device: {dev.Name}, SM {dev.ComputeCapability}, {dev.MultiprocessorCount} SMs, {dev.TotalMemory / (1 << 30)} GiB, driver {dev.DriverVersion}");
        var config = shape == "llama3-8b" ? RandomModels.Llama3_8B(_s.Layers) : RandomModels.Llama2_7B(_s.Layers);
        bool llama2 = shape == "llama2-7b";
        int[] prefillSizes = _s.PrefillFor(shape);
        Console.WriteLine($"Model: random {shape} shape, {config.LayerCount} layers, d {config.HiddenSize}, {config.HeadCount}/{config.KvHeadCount} heads, FFN {config.FfnSize}, vocab {config.VocabSize}; weights bf16 made on the device, activations f32, K/V bf16");
        var watch = Stopwatch.StartNew();
        var weights = RandomModels.OnDevice(config, cuda, seed: 20261122);
        cuda.Synchronize();
        Console.WriteLine($"Weights: {cuda.WeightBytes / 1e9:0.00} GB generated in {watch.Elapsed.TotalSeconds:0.00} s");
        using var forward = LlamaModel.FromWeights(config, weights, cuda);

        GemmRate(cuda, config);

        var rng = new Random(7);
        foreach (int n in prefillSizes)
        {
            using var segment = new KvSegment(config, KvDataType.BF16, n);
            int[] ids = RandomIds(rng, n, config.VocabSize);
            int[] positions = Enumerable.Range(0, n).ToArray();
            var (wall, gpu) = Measure(cuda, () =>
            {
                segment.Truncate(0);
                return TimedCall(cuda, forward, ids, positions, [], segment);
            });
            PathsLine(cuda, n, () =>
            {
                segment.Truncate(0);
                TimedCall(cuda, forward, ids, positions, [], segment);
            });
            if (_wgmma) FeatureAB("wgmma attention", on => cuda.WgmmaOverride = on, cuda, forward, ids, positions, [], segment);
            if (_wgmma) FeatureAB("warp-specialised attention", on => cuda.WarpSpecializedAttentionOverride = on, cuda, forward, ids, positions, [], segment);
            if (_ropeInReaders) FeatureAB("RoPE in its readers", on => cuda.RopeInReadersOverride = on, cuda, forward, ids, positions, [], segment);
            if (_valuesIntoSegment) FeatureAB("V projected into the segment", on => cuda.ValuesIntoSegmentOverride = on, cuda, forward, ids, positions, [], segment);
            if (_swiGluGemm) FeatureAB("SwiGLU GEMM", on => cuda.FusedSwiGluOverride = on, cuda, forward, ids, positions, [], segment);
            if (_pairedSwiGlu) FeatureAB("paired SwiGLU GEMM", on => cuda.PairedSwiGluOverride = on, cuda, forward, ids, positions, [], segment);
            if (_residualInGemm) FeatureAB("residual in the GEMM", on => cuda.ResidualInGemmOverride = on, cuda, forward, ids, positions, [], segment);
            // Both with the warp-specialised kernel pinned: the prefill timing may have picked the two-warpgroup one here.
            if (_tmaAttention) FeatureAB("TMA K/V loads", on => { cuda.WarpSpecializedAttentionOverride = on is null ? null : true; cuda.TmaAttentionOverride = on; },
                cuda, forward, ids, positions, [], segment);
            if (_persistentAttention) FeatureAB("persistent attention", on => { cuda.WarpSpecializedAttentionOverride = on is null ? null : true; cuda.PersistentAttentionOverride = on; },
                cuda, forward, ids, positions, [], segment);
            if (_wideKeySteps) FeatureAB("128-key attention steps", on => { cuda.WarpSpecializedAttentionOverride = on is null ? null : true; cuda.WideKeyStepsOverride = on; },
                cuda, forward, ids, positions, [], segment);
            // Against the path the timings run (the SwiGLU GEMM when it passed): off, the bf16 products go through cuBLAS.
            if (_bf16SwiGlu) FeatureAB("bf16 SwiGLU", on => { cuda.Bf16SwiGluOverride = on; cuda.FusedSwiGluOverride = on is null ? null : false; }, cuda, forward, ids, positions, [], segment);
            FeatureAB("bf16-only GEMM inputs", on => cuda.Bf16GemmInputsOnlyOverride = on, cuda, forward, ids, positions, [], segment);
            FeatureAB("tuned prefill GEMMs", on => cuda.TunedPrefillGemmsOverride = on, cuda, forward, ids, positions, [], segment);
            FeatureAB("CUDA graphs", on => cuda.GraphsOverride = on, cuda, forward, ids, positions, [], segment);
            // The engine's default: new K/V copied back to the segment's host memory as the forward goes (the timed
            // backend runs without, as a GPU-only server would). The segment is reused here, so its pages are warm.
            var drainBefore = cuda.WriteBackStats;
            FeatureAB("async host write-back", on => cuda.HostWriteBackOverride = on is { } w ? (w, true) : null, cuda, forward, ids, positions, [], segment);
            DrainLine(drainBefore, cuda.WriteBackStats);
            IntPtr OnePrefill(LlamaModel model) { segment.Truncate(0); return (IntPtr)model.ForwardToBackend(ids, positions, [], segment, 1); }
            if (_s.Profile) Profile(cuda, forward, $"prefill {n}", OnePrefill);
            if (_s.KernelTrace) Traced(cuda, $"{shape} prefill {n}", () => OnePrefill(forward));
            cuda.Release(segment);
            double floor = Floors.Milliseconds(config, n, 0);
            AddRow($"uncached prefill", n, wall, gpu, floor, llama2 && HfPrefill.TryGetValue(n, out var hf) ? hf : double.NaN);
        }

        // The first context (the one with the host-tier rows) runs last: the host tier is the newest
        // code path, and a failure there must not cost the other cached rows.
        foreach (int context in _s.CachedContexts.Skip(1).Concat(_s.CachedContexts.Take(1)))
        {
            using var module = new KvSegment(config, KvDataType.BF16, context);
            forward.ForwardToBackend(RandomIds(rng, context, config.VocabSize), Enumerable.Range(0, context).ToArray(), [], module, 0);
            cuda.Synchronize();
            // Two 8-token parameters and a 32-token suffix, computed at their schema positions after the modules.
            int fresh = 2 * 8 + 32;
            int[] ids = RandomIds(rng, fresh, config.VocabSize);
            int[] positions = Enumerable.Range(context, fresh).ToArray();
            using var output = new KvSegment(config, KvDataType.BF16, fresh);
            var (wall, gpu) = Measure(cuda, () =>
            {
                output.Truncate(0);
                return TimedCall(cuda, forward, ids, positions, [module], output);
            });
            IntPtr OneCachedCall(LlamaModel model) { output.Truncate(0); return (IntPtr)model.ForwardToBackend(ids, positions, [module], output, 1); }
            if (_s.Profile) Profile(cuda, forward, $"cached {context}+{fresh}", OneCachedCall);
            if (_s.KernelTrace) Traced(cuda, $"{shape} cached {context}+{fresh}", () => OneCachedCall(forward));
            double floor = Floors.Milliseconds(config, fresh, context);
            AddRow($"cached ({context} in HBM + 2x8 + 32)", context + fresh, wall, gpu, floor,
                llama2 && HfPrefixReuse.TryGetValue(context, out var hf) ? hf : double.NaN);
            if (_s.DecodeSteps > 0) Decode(cuda, forward, module, output, context + fresh);
            if (context == _s.CachedContexts[0]) WriteBackRows(cuda, forward, module, ids, positions);
            if (context == _s.CachedContexts[0]) GraphReplay(cuda, forward, module, ids, positions);
            if (context == _s.CachedContexts[0]) GraphChunksAB(cuda, forward, module, ids, positions);
            if (context == _s.CachedContexts[0]) FeatureAB("graph chunk ramp", on => cuda.GraphRamp = on ?? true, cuda, forward, ids, positions, [module], output);
            if (_wgmma) FeatureAB("wgmma attention", on => cuda.WgmmaOverride = on, cuda, forward, ids, positions, [module], output);
            if (_ropeInReaders) FeatureAB("RoPE in its readers", on => cuda.RopeInReadersOverride = on, cuda, forward, ids, positions, [module], output);
            FeatureAB("bf16-only GEMM inputs", on => cuda.Bf16GemmInputsOnlyOverride = on, cuda, forward, ids, positions, [module], output);
            if (cuda.SkinnyWgmmaLaunches > 0) FeatureAB("dependent launches", on => cuda.DependentLaunchesOverride = on, cuda, forward, ids, positions, [module], output);
            FeatureAB("rope store over several blocks", on => cuda.SplitRopeStoreOverride = on, cuda, forward, ids, positions, [module], output);
            if (_wgmma && _s.Check && CorrectnessChecks.WsShortQueriesPassed)
                FeatureAB("warp-specialised short queries", on => cuda.WarpSpecializedShortQueriesOverride = on, cuda, forward, ids, positions, [module], output);
            if (_s.HostTier && context == _s.CachedContexts[0])
            {
                try
                {
                    HostTier(cuda, forward, module, output, ids, positions);
                }
                catch (Exception e)
                {
                    Console.WriteLine($"HOST TIER FAILED: {e.GetType().Name}: {e.Message}");
                    AddRow("host tier FAILED (see above)", context + fresh, double.NaN, double.NaN, double.NaN, double.NaN);
                }
            }
            cuda.Release(module);
            cuda.Release(output);
        }

        Console.WriteLine();
        Console.WriteLine($"TTFT, {shape} shape, median of {_s.Reps} after {_s.Warmup} warm-ups (wall = host clock incl. launches and argmax copy; gpu = events):");
        Console.WriteLine($"{"row",-34} {"tokens",7} {"wall ms",9} {"gpu ms",9} {"floor ms",9} {"wall/floor",10} {"HF ms",8} {"HF/ours",8}");
        foreach (string row in _table) Console.WriteLine(row);
        foreach (string line in cuda.TunedGemmLog) Console.WriteLine($"Tuned {line}");
        foreach (string line in cuda.SkinnyTuneLog) Console.WriteLine($"Tuned {line}");
        foreach (string line in cuda.AttentionTuneLog) Console.WriteLine($"Tuned {line}");
        if (cuda.SkinnyKernelError is { } se) Console.WriteLine($"SKINNY KERNEL FELL BACK TO cublasGemmEx: {se}");
        if (cuda.SkinnyWgmmaError is { } swe) Console.WriteLine($"WGMMA SKINNY GEMM FELL BACK: {swe}");
        if (cuda.DependentLaunchError is { } dle) Console.WriteLine($"DEPENDENT LAUNCHES FELL BACK TO PLAIN ONES: {dle}");
        if (cuda.SwiGluGemmError is { } sge) Console.WriteLine($"SWIGLU GEMM FELL BACK TO cuBLAS: {sge}");
        if (cuda.TmaAttentionError is { } tae) Console.WriteLine($"TMA K/V LOADS FELL BACK TO cp.async: {tae}");
        if (cuda.FusedNormError is { } fe) Console.WriteLine($"FUSED ADD+NORM FELL BACK: {fe}");
        foreach (string line in cuda.FusedGroupLog) Console.WriteLine($"Fused {line}");
        if (cuda.FusedGroupError is { } ge) Console.WriteLine($"FUSED GROUP GEMM FELL BACK: {ge}");
    }

    // cuBLASLt (tuned per shape) against cublasGemmEx on a cached 4096+48 call of the Llama-2-7B
    // model: each on its own backend, median GPU time of 3 after one warm-up that also tunes. Lt is
    // taken only when its CPU-vs-CUDA checks passed, its last-row logits match cublasGemmEx's
    // (relative L2 <= 1e-2, same argmax) and it is faster; any error keeps cublasGemmEx.
    // The fused q/k/v and gate/up GEMM is timed with each path (on when its checks passed, or --fused-group on)
    // and taken under the same rule.
    private (SkinnyGemmPath Path, bool Fused, SkinnyKernelVariant Variant) ChooseSkinnyGemm(AttentionKernel kernel)
    {
        const SkinnyKernelVariant Auto = SkinnyKernelVariant.Auto, Wgmma = SkinnyKernelVariant.Wgmma;
        bool fusedAllowed = _s.FusedGroup switch { "on" => true, "off" => false, _ => _s.Check && CorrectnessChecks.FusedGroupPassed };
        bool fusedForced = _s.FusedGroup == "on";
        if (_s.SkinnyGemm == "gemmex") return (SkinnyGemmPath.CublasGemmEx, fusedForced, Auto);
        if (_s.SkinnyGemm == "lt") return (SkinnyGemmPath.CublasLtTuned, fusedForced, Auto);
        if (_s.SkinnyGemm == "kernel") return (SkinnyGemmPath.Kernel, fusedForced, Auto);
        if (_s.SkinnyGemm == "wgmma") return (SkinnyGemmPath.Kernel, fusedForced, Wgmma);
        if (!_s.Check) return (SkinnyGemmPath.CublasGemmEx, fusedForced, Auto);
        var candidates = new List<(SkinnyGemmPath Path, bool Fused, SkinnyKernelVariant Variant)>();
        if (CorrectnessChecks.SkinnyKernelPassed) candidates.Add((SkinnyGemmPath.Kernel, false, Auto));
        // The Hopper kernel everywhere it fits: the per-shape tuner times launches alone, where it cannot see the
        // dependent launches' overlap with the kernel before.
        if (CorrectnessChecks.SkinnyWgmmaPassed) candidates.Add((SkinnyGemmPath.Kernel, false, Wgmma));
        if (CorrectnessChecks.SkinnyGemmPassed) candidates.Add((SkinnyGemmPath.CublasLtTuned, false, Auto));
        if (fusedAllowed)
        {
            candidates.Add((SkinnyGemmPath.CublasGemmEx, true, Auto));
            if (CorrectnessChecks.SkinnyGemmPassed) candidates.Add((SkinnyGemmPath.CublasLtTuned, true, Auto));
            if (CorrectnessChecks.SkinnyKernelPassed) candidates.Add((SkinnyGemmPath.Kernel, true, Auto));
        }
        if (candidates.Count == 0) return (SkinnyGemmPath.CublasGemmEx, false, Auto);
        float[] exLogits;
        double exMs;
        try
        {
            // The baseline: every new path off explicitly.
            (exMs, exLogits, _, _) = TimeSkinny(kernel, SkinnyGemmPath.CublasGemmEx, _fuseNorm, fusedGroup: false, Auto);
            Console.WriteLine($"Skinny GEMM choice: cached 4096+48 cublasGemmEx {exMs:0.00} ms (gpu, median of 3)");
        }
        catch (Exception e)
        {
            Console.WriteLine($"Skinny GEMM choice: cublasGemmEx failed to run ({e.GetType().Name}: {e.Message})");
            return (SkinnyGemmPath.CublasGemmEx, false, Auto);
        }
        var best = (Choice: (SkinnyGemmPath.CublasGemmEx, false, Auto), Ms: exMs);
        foreach (var (path, fused, variant) in candidates)
        {
            string label = (variant == Auto ? path.ToString() : $"{path} {variant}") + (fused ? " + fused group GEMM" : "");
            try
            {
                var (ms, logits, log, error) = TimeSkinny(kernel, path, _fuseNorm, fused, variant);
                foreach (string line in log) Console.WriteLine($"Skinny GEMM choice: {line}");
                var compare = LogitCompare.Of(logits, exLogits, exLogits.Length);
                bool same = compare.RelativeL2 <= 1e-2 && LogitCompare.ArgMax(logits) == LogitCompare.ArgMax(exLogits) && !compare.HasNaN && error is null;
                Console.WriteLine($"Skinny GEMM choice: cached 4096+48 {label} {ms:0.00} ms (gpu, median of 3); logits vs cublasGemmEx {compare}{(same ? "" : "  MISMATCH or fallback: not chosen")}{(error is null ? "" : " (" + error + ")")}");
                if (same && ms < best.Ms) best = ((path, fused, variant), ms);
            }
            catch (Exception e)
            {
                Console.WriteLine($"Skinny GEMM choice: {label} failed to run ({e.GetType().Name}: {e.Message}); not chosen");
            }
        }
        return best.Choice;
    }

    // One GEMM over q/k/v (gate/up) placed back to back plus its split, against the same GEMMs apart
    // (separately allocated weights, which the backend cannot fuse), at 1, 48 and 4096 rows, both
    // through cuBLASLt tuned per shape; gate/up followed by the SiLU·mul that consumes them. Median
    // GPU time of 10 after 3 warm-ups (the first call learns the group and tunes).
    private static void FusedGroupShapes(ModelConfig config)
    {
        using var cuda = new CudaBackend(new CudaBackendOptions
        {
            KvHostWriteBack = false, FusedGroupGemm = true, SkinnyGemm = SkinnyGemmPath.CublasLtTuned, SkinnyGemmMaxRows = 4096,
        });
        int d = config.HiddenSize;
        float scale = MathF.Sqrt(3f / d);
        var groups = new[] { (Name: "qkv", Rows: new[] { config.QueryDim, config.KvDim, config.KvDim }), (Name: "gate+up", Rows: new[] { config.FfnSize, config.FfnSize }) };
        foreach (int m in new[] { 1, 48, 4096 })
        {
            var table = cuda.CreateRandomWeight("x", m, d, 91, 1f);
            float* x = cuda.Allocate((long)m * d);
            cuda.Embed(table, Enumerable.Range(0, m).ToArray(), x);
            foreach (var (name, rows) in groups)
            {
                var members = new (string, int, ulong)[rows.Length];
                for (int i = 0; i < rows.Length; i++) members[i] = ($"g{i}", rows[i], (ulong)(100 + i));
                var together = cuda.CreateRandomWeightGroup(members, d, scale);
                var apart = new WeightTensor[rows.Length];
                for (int i = 0; i < rows.Length; i++) apart[i] = cuda.CreateRandomWeight($"a{i}", rows[i], d, (ulong)(100 + i), scale);
                var ys = new nint[rows.Length];
                for (int i = 0; i < rows.Length; i++) ys[i] = (nint)cuda.Allocate((long)m * rows[i]);
                double Time(WeightTensor[] ws) => GpuMedianMs(cuda, () =>
                {
                    for (int i = 0; i < ws.Length; i++) cuda.MatMul(x, m, ws[i], (float*)ys[i]);
                    if (ws.Length == 2) cuda.SiluMul((float*)ys[0], (float*)ys[1], (long)m * rows[0]);
                });
                double fused = Time(together), separate = Time(apart);
                double bytes = (double)rows.Sum() * d * 2;
                Console.WriteLine($"Fused group {name} {m} x {rows.Sum()} x {d}{(rows.Length == 2 ? " + SiLU·mul" : "")}: one GEMM + split {fused * 1000:0}us ({bytes / (fused * 1e-3) / 1e12:0.00} TB/s), apart {separate * 1000:0}us ({bytes / (separate * 1e-3) / 1e12:0.00} TB/s), {separate / fused:0.00}x");
                for (int i = 0; i < rows.Length; i++) cuda.Free((float*)ys[i]);
            }
            cuda.Free(x);
        }
        foreach (string line in cuda.FusedGroupLog) Console.WriteLine($"Fused group shapes: {line}");
        if (cuda.FusedGroupError is { } e) Console.WriteLine($"Fused group shapes: FELL BACK: {e}");
    }

    // Per-shape GPU time of the skinny GEMMs of a cached 48-row call (one weight matrix per launch, with
    // the row counts of q+k+v and gate+up as single matrices), for cuBLAS and the kernel variants and
    // forced K splits: where the time of the cached row goes.
    private void SkinnyShapes(CudaBackend cuda, ModelConfig config)
    {
        const int m = 48;
        int d = config.HiddenSize;
        var shapes = new[] { (Name: "o", Rows: d, Cols: config.QueryDim), (Name: "qkv", Rows: config.QueryDim + 2 * config.KvDim, Cols: d),
            (Name: "gate+up", Rows: 2 * config.FfnSize, Cols: d), (Name: "down", Rows: d, Cols: config.FfnSize) };
        var settings = new List<(string Label, SkinnyGemmPath Path, SkinnyKernelVariant Variant, int Splits)>
        {
            ("gemmex", SkinnyGemmPath.CublasGemmEx, SkinnyKernelVariant.Auto, 0), ("lt", SkinnyGemmPath.CublasLtTuned, SkinnyKernelVariant.Auto, 0),
            ("tuned", SkinnyGemmPath.Kernel, SkinnyKernelVariant.Auto, 0),
        };
        foreach (var (variant, tag) in new[] { (SkinnyKernelVariant.Rows64, "k64"), (SkinnyKernelVariant.Rows32, "k32"), (SkinnyKernelVariant.Rows64Pipelined, "p64") })
            foreach (int splits in new[] { 0, 1, 2, 4 })
                settings.Add(($"{tag}/{(splits == 0 ? "auto" : "s" + splits)}", SkinnyGemmPath.Kernel, variant, splits));
        try
        {
            foreach (var shape in shapes)
            {
                var table = cuda.CreateRandomWeight("x", m, shape.Cols, 91, 1f);
                var w = cuda.CreateRandomWeight("w", shape.Rows, shape.Cols, 92, MathF.Sqrt(3f / shape.Cols));
                float* x = cuda.Allocate((long)m * shape.Cols);
                float* y = cuda.Allocate((long)m * shape.Rows);
                cuda.Embed(table, Enumerable.Range(0, m).ToArray(), x);
                var parts = new List<string>();
                double bytes = (double)shape.Rows * shape.Cols * 2;
                foreach (var (label, path, variant, splits) in settings)
                {
                    cuda.SkinnyPathOverride = path;
                    cuda.SkinnyVariantOverride = variant;
                    cuda.SkinnySplitsOverride = splits;
                    double med = GpuMedianMs(cuda, () => cuda.MatMul(x, m, w, y));
                    parts.Add($"{label} {med * 1000:0}us ({bytes / (med * 1e-3) / 1e12:0.00} TB/s)");
                }
                Console.WriteLine($"Skinny shape {shape.Name} {m} x {shape.Rows} x {shape.Cols}: " + string.Join(", ", parts));
                if (cuda.SkinnyKernelError is { } e) Console.WriteLine($"  (skinny kernel error: {e})");
                cuda.Free(x);
                cuda.Free(y);
            }
        }
        finally
        {
            foreach (string line in cuda.SkinnyTuneLog) Console.WriteLine($"Skinny shape tuning: {line}");
            cuda.SkinnyPathOverride = null;
            cuda.SkinnyVariantOverride = null;
            cuda.SkinnySplitsOverride = null;
        }
    }

    private static (double Ms, float[] Logits, IReadOnlyList<string> Log, string? Error) TimeSkinny(AttentionKernel kernel, SkinnyGemmPath path, bool fuseNorm, bool fusedGroup, SkinnyKernelVariant variant)
    {
        const int context = 4096, fresh = 48, reps = 3;
        using var cuda = new CudaBackend(new CudaBackendOptions { KvHostWriteBack = false, Attention = kernel, SkinnyGemm = path, SkinnyVariant = variant, FuseResidualNorm = fuseNorm, RowRope = fuseNorm, TuneAttentionSplits = _tuneSplits, FusedGroupGemm = fusedGroup });
        var config = RandomModels.Llama2_7B(32);
        using var forward = LlamaModel.FromWeights(config, RandomModels.OnDevice(config, cuda, seed: 20261122), cuda);
        var rng = new Random(11);
        int[] contextIds = RandomIds(rng, context, config.VocabSize), freshIds = RandomIds(rng, fresh, config.VocabSize);
        int[] freshPositions = Enumerable.Range(context, fresh).ToArray();
        using var module = new KvSegment(config, KvDataType.BF16, context);
        using var output = new KvSegment(config, KvDataType.BF16, fresh);
        forward.ForwardToBackend(contextIds, Enumerable.Range(0, context).ToArray(), [], module, 0);
        var times = new List<double>();
        for (int i = 0; i < reps + 1; i++)
        {
            output.Truncate(0);
            double ms = TimedCall(cuda, forward, freshIds, freshPositions, [module], output).Gpu;
            if (i > 0) times.Add(ms); // the first call tunes (cuBLASLt) and compiles
        }
        output.Truncate(0);
        float[] logits = forward.Forward(freshIds, freshPositions, [module], output, LogitsMode.Last).Logits;
        var log = cuda.TunedGemmLog.Concat(cuda.SkinnyTuneLog).Concat(cuda.FusedGroupLog).ToList();
        string? error = cuda.SkinnyKernelError ?? cuda.FusedGroupError ?? cuda.SkinnyWgmmaError ?? cuda.DependentLaunchError;
        cuda.Release(module);
        cuda.Release(output);
        return (Median(times), logits, log, error);
    }

    private AttentionKernel ChooseKernel() => _s.Attention switch
    {
        "simple" => AttentionKernel.Simple,
        "tiled" => AttentionKernel.Tiled,
        "ldm" => AttentionKernel.TiledLdmatrix,
        "pipelined" => AttentionKernel.Pipelined,
        "pipelined-wide" => AttentionKernel.PipelinedWide,
        _ when !_s.Check => AttentionKernel.Tiled,
        _ => FastestPassed(),
    };

    // Among the tensor-core kernels that passed every check, the one with the lowest uncached 4096-token
    // prefill plus cached 4096+48 call on this model (each timed on its own backend, median of 3).
    private AttentionKernel FastestPassed()
    {
        // The tiled kernels were 12-15 % slower in every H100 run so far; they are timed only when
        // neither pipelined kernel passed.
        AttentionKernel[] candidates = new[] { AttentionKernel.PipelinedWide, AttentionKernel.Pipelined }
            .Where(CorrectnessChecks.PassedKernels.Contains).ToArray();
        if (candidates.Length == 0)
            candidates = new[] { AttentionKernel.TiledLdmatrix, AttentionKernel.Tiled }.Where(CorrectnessChecks.PassedKernels.Contains).ToArray();
        if (candidates.Length == 0) return AttentionKernel.Simple;
        if (candidates.Length == 1) return candidates[0];
        var best = (Kernel: candidates[0], Score: double.PositiveInfinity);
        foreach (var kernel in candidates)
        {
            try
            {
                var (prefill, cached) = TimeKernel(kernel);
                Console.WriteLine($"Kernel choice: {kernel,-14} prefill 4096 {prefill,7:0.00} ms, cached 4096+48 {cached,6:0.00} ms (gpu, median of 3)");
                if (prefill + cached < best.Score) best = (kernel, prefill + cached);
            }
            catch (Exception e)
            {
                Console.WriteLine($"Kernel choice: {kernel} failed to run ({e.GetType().Name}: {e.Message}); not chosen");
            }
        }
        return best.Kernel;
    }

    private (double Prefill, double Cached) TimeKernel(AttentionKernel kernel)
    {
        const int context = 4096, fresh = 48, reps = 3;
        using var cuda = new CudaBackend(new CudaBackendOptions { KvHostWriteBack = false, Attention = kernel, FuseResidualNorm = _fuseNorm, RowRope = _fuseNorm, TuneAttentionSplits = _tuneSplits, WgmmaAttention = _wgmma });
        var config = RandomModels.Llama2_7B(32);
        using var forward = LlamaModel.FromWeights(config, RandomModels.OnDevice(config, cuda, seed: 20261122), cuda);
        var rng = new Random(11);
        int[] contextIds = RandomIds(rng, context, config.VocabSize), freshIds = RandomIds(rng, fresh, config.VocabSize);
        int[] contextPositions = Enumerable.Range(0, context).ToArray(), freshPositions = Enumerable.Range(context, fresh).ToArray();
        using var module = new KvSegment(config, KvDataType.BF16, context);
        using var output = new KvSegment(config, KvDataType.BF16, fresh);
        var prefill = new List<double>();
        var cached = new List<double>();
        for (int i = 0; i < reps + 1; i++)
        {
            module.Truncate(0);
            double p = TimedCall(cuda, forward, contextIds, contextPositions, [], module).Gpu;
            output.Truncate(0);
            double c = TimedCall(cuda, forward, freshIds, freshPositions, [module], output).Gpu;
            if (i == 0) continue; // warm-up (compiles the kernels)
            prefill.Add(p);
            cached.Add(c);
        }
        cuda.Release(module);
        cuda.Release(output);
        return (Median(prefill), Median(cached));
    }

    // The same cached call with the module's K/V in (page-locked) host memory instead of HBM, loaded
    // layer by layer on a copy stream: overlapped with compute, and waited for in full first.
    private void HostTier(CudaBackend cuda, LlamaModel forward, KvSegment module, KvSegment output, int[] ids, int[] positions)
    {
        cuda.SaveToHost(module);
        bool pinned = cuda.PinHostMemory(module);
        try
        {
            foreach (bool overlap in new[] { true, false })
            {
                cuda.OverlapHostLoad = overlap;
                var (wall, gpu) = Measure(cuda, () =>
                {
                    cuda.Release(module); // back to host-only: the call must load it
                    output.Truncate(0);
                    return TimedCall(cuda, forward, ids, positions, [module], output);
                });
                double pcie = module.ByteCount / 52.7e9 * 1e3;
                double floor = Math.Max(pcie, Floors.Milliseconds(forward.Config, ids.Length, module.Count));
                AddRow($"host tier {(overlap ? "overlapped" : "load-then-run")}{(pinned ? "" : " PAGEABLE")}", module.Count + ids.Length, wall, gpu, floor, double.NaN);
            }
        }
        finally
        {
            cuda.OverlapHostLoad = true;
            if (pinned) cuda.UnpinHostMemory(module);
        }
    }

    // Greedy decode after a cached call: one token per forward, the argmax fed back. Reports ms per token.
    private void Decode(CudaBackend cuda, LlamaModel forward, KvSegment module, KvSegment output, int position)
    {
        output.Truncate(0);
        forward.ForwardToBackend(RandomIds(new Random(3), 48, forward.Config.VocabSize), Enumerable.Range(position - 48, 48).ToArray(), [module], output, 0);
        int token = 1;
        var times = new List<double>();
        for (int step = 0; step < _s.DecodeSteps + _s.Warmup; step++)
        {
            cuda.Synchronize();
            var watch = Stopwatch.StartNew();
            float* head = forward.ForwardToBackend([token], [position + step], [module], output, 1);
            token = cuda.Argmax(head, 1, forward.Config.VocabSize)[0];
            double ms = watch.Elapsed.TotalMilliseconds;
            cuda.Free(head);
            if (step >= _s.Warmup) times.Add(ms);
        }
        double median = Median(times);
        AddRow($"decode step (after {module.Count}+48)", module.Count + output.Count, median, double.NaN,
            Floors.Milliseconds(forward.Config, 1, module.Count + output.Count), double.NaN);
        Console.WriteLine($"Decode: {1000 / median:0.0} tokens/s at batch 1 over {module.Count} cached tokens (median of {times.Count} steps; slowest step {times.Max():0.00} ms)");
    }

    // The cached call with its new K/V also written back to host memory (the library default, so that
    // the segment can be stored, saved or used on the CPU), into an f16 segment as the engine keeps it:
    // off, one synchronous copy per layer, and HostWriteBack's asynchronous copies, with CUDA graphs (the
    // copies deferred to each chunk's launch) and without. "queued" is when the forward had handed all its
    // work to the GPU; "landed" when the host bytes were complete.
    private void WriteBackRows(CudaBackend cuda, LlamaModel forward, KvSegment module, int[] ids, int[] positions)
    {
        try
        {
            foreach (var (label, enabled, asynchronous, graphs) in new[] { ("off", false, false, true), ("sync", true, false, true), ("async", true, true, true), ("async, no graphs", true, true, false) })
            {
                cuda.HostWriteBackOverride = (enabled, asynchronous);
                cuda.GraphsOverride = graphs ? null : false;
                using var output = new KvSegment(forward.Config, KvDataType.F16, ids.Length);
                var (walls, queued, landed) = (new List<double>(), new List<double>(), new List<double>());
                for (int i = 0; i < _s.Warmup + _s.Reps; i++)
                {
                    output.Truncate(0);
                    cuda.Synchronize();
                    var watch = Stopwatch.StartNew();
                    float* head = forward.ForwardToBackend(ids, positions, [module], output, 1);
                    double issue = watch.Elapsed.TotalMilliseconds;
                    int token = cuda.Argmax(head, 1, forward.Config.VocabSize)[0];
                    double wall = watch.Elapsed.TotalMilliseconds;
                    output.WaitForHostWrites();
                    double land = watch.Elapsed.TotalMilliseconds;
                    cuda.Free(head);
                    if (token < 0 || token >= forward.Config.VocabSize) throw new InvalidOperationException($"argmax returned {token}");
                    if (i < _s.Warmup) continue;
                    walls.Add(wall);
                    queued.Add(issue);
                    landed.Add(land);
                }
                AddRow($"cached, f16 write-back {label}", module.Count + ids.Length, Median(walls), double.NaN,
                    Floors.Milliseconds(forward.Config, ids.Length, module.Count), double.NaN);
                Console.WriteLine($"Host write-back {label}: TTFT {Median(walls):0.00} ms, forward queued after {Median(queued):0.00} ms, host bytes complete after {Median(landed):0.00} ms (medians of {walls.Count})");
                cuda.Release(output);
            }
        }
        catch (Exception e)
        {
            Console.WriteLine($"WRITE-BACK ROWS FAILED: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            cuda.HostWriteBackOverride = null;
            cuda.GraphsOverride = null;
        }
    }

    // What launching op by op costs the GPU in a cached call: the same call recorded once as a CUDA graph
    // and replayed (same pointers, same inputs), alternating with ordinary calls; GPU medians. The replay
    // is the most a graph path could give; the host queues the ordinary call in a third of its GPU time
    // (WriteBackRows' "queued"), so what a graph removes is the GPU's own gaps between kernels.
    private void GraphReplay(CudaBackend cuda, LlamaModel forward, KvSegment module, int[] ids, int[] positions)
    {
        IntPtr exec = IntPtr.Zero;
        float* head = null;
        using var staging = PinnedHostMemory.Allocate(cuda.Device.Context, 16 << 20);
        try
        {
            using var output = new KvSegment(forward.Config, KvDataType.BF16, ids.Length);
            output.Truncate(0);
            TimedCall(cuda, forward, ids, positions, [module], output);
            output.Truncate(0);
            cuda.GraphsOverride = false; // this records the whole call itself
            exec = cuda.CaptureGraph(() => head = forward.ForwardToBackend(ids, positions, [module], output, 1), staging);
            var (eager, replay) = (new List<double>(), new List<double>());
            int eagerToken = -1;
            for (int i = 0; i < 2 * (_s.Warmup + _s.Reps); i++)
            {
                double gpu;
                if (i % 2 == 0)
                {
                    output.Truncate(0);
                    gpu = TimedCall(cuda, forward, ids, positions, [module], output).Gpu;
                }
                else
                {
                    cuda.Synchronize();
                    using var start = CudaEvent.Create(cuda.Device.Context);
                    using var end = CudaEvent.Create(cuda.Device.Context);
                    start.Record(cuda.Device.Stream);
                    cuda.LaunchGraph(exec);
                    end.Record(cuda.Device.Stream);
                    gpu = end.MillisecondsSince(start);
                }
                if (i >= 2 * _s.Warmup) (i % 2 == 0 ? eager : replay).Add(gpu);
            }
            int replayToken = cuda.Argmax(head, 1, forward.Config.VocabSize)[0];
            output.Truncate(0);
            float* again = forward.ForwardToBackend(ids, positions, [module], output, 1);
            eagerToken = cuda.Argmax(again, 1, forward.Config.VocabSize)[0];
            cuda.Free(again);
            Console.WriteLine($"Graph replay: cached {module.Count}+{ids.Length} {Median(replay):0.00} ms replayed as one CUDA graph vs {Median(eager):0.00} ms launched op by op (gpu, medians of {_s.Reps}, alternating); argmax {replayToken} vs {eagerToken}{(replayToken == eagerToken ? "" : " MISMATCH")}");
            cuda.Release(output);
        }
        catch (Exception e)
        {
            Console.WriteLine($"GRAPH REPLAY FAILED: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            cuda.GraphsOverride = null;
            if (exec != IntPtr.Zero) CudaBackend.DestroyGraph(exec);
            if (head != null) cuda.Free(head);
        }
    }

    // A call with one of the backend's options on and off (wgmma attention, bf16 SwiGLU, the graph chunk ramp), on the same
    // backend, alternating: GPU and wall medians.
    // Where the write-back's time went during an A/B: the drain thread waiting for device-to-host copies, or copying
    // from the pinned ring into the segment.
    private static void DrainLine((long Bytes, long WaitTicks, long CopyTicks) before, (long Bytes, long WaitTicks, long CopyTicks) after)
    {
        double gb = (after.Bytes - before.Bytes) / 1e9;
        double wait = (after.WaitTicks - before.WaitTicks) / (double)Stopwatch.Frequency, copy = (after.CopyTicks - before.CopyTicks) / (double)Stopwatch.Frequency;
        if (gb > 0) Console.WriteLine($"  write-back drain: {gb:0.00} GB; waited {wait * 1e3:0} ms for device-to-host copies, copied into segments in {copy * 1e3:0} ms ({gb / Math.Max(copy, 1e-9):0.0} GB/s)");
    }

    private void FeatureAB(string feature, Action<bool?> set, CudaBackend cuda, LlamaModel forward, int[] ids, int[] positions, IReadOnlyList<KvSegment> context, KvSegment segment)
    {
        try
        {
            var wall = new Dictionary<bool, List<double>> { [false] = new(), [true] = new() };
            var gpu = new Dictionary<bool, List<double>> { [false] = new(), [true] = new() };
            for (int i = 0; i < 2 * (_s.Warmup + _s.Reps); i++)
            {
                bool on = i % 2 == 1;
                set(on);
                segment.Truncate(0);
                var (w, g) = TimedCall(cuda, forward, ids, positions, context, segment);
                if (i < 2 * _s.Warmup) continue;
                wall[on].Add(w);
                gpu[on].Add(g);
            }
            string error = cuda.WgmmaAttentionError is { } e ? $"; wgmma NOT USED: {e}" : "";
            string call = context.Count == 0 ? $"uncached {ids.Length}" : $"cached {context.Sum(c => c.Count)}+{ids.Length}";
            Console.WriteLine($"{feature}: {call} wall {Median(wall[true]):0.00} ms (gpu {Median(gpu[true]):0.00}) with, {Median(wall[false]):0.00} ms (gpu {Median(gpu[false]):0.00}) without (medians of {_s.Reps}, alternating){error}");
        }
        catch (Exception e)
        {
            Console.WriteLine($"{feature.ToUpperInvariant()} A/B FAILED: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            set(null);
        }
    }

    // The library's chunked CUDA graphs (CudaBackendOptions.CudaGraphs) against op-by-op launches on the
    // same backend, alternating, on the cached call and on a decode step: GPU and wall medians.
    private void GraphChunksAB(CudaBackend cuda, LlamaModel forward, KvSegment module, int[] ids, int[] positions)
    {
        try
        {
            using var output = new KvSegment(forward.Config, KvDataType.BF16, ids.Length + 64);
            var wall = new Dictionary<bool, List<double>> { [false] = new(), [true] = new() };
            var gpu = new Dictionary<bool, List<double>> { [false] = new(), [true] = new() };
            var step = new Dictionary<bool, List<double>> { [false] = new(), [true] = new() };
            var before = cuda.GraphStats;
            for (int i = 0; i < 2 * (_s.Warmup + _s.Reps); i++)
            {
                bool graphs = i % 2 == 1;
                cuda.GraphsOverride = graphs;
                output.Truncate(0);
                var (w, g) = TimedCall(cuda, forward, ids, positions, [module], output);
                // one decode step after it
                cuda.Synchronize();
                var watch = Stopwatch.StartNew();
                float* head = forward.ForwardToBackend([1], [positions[^1] + 1], [module], output, 1);
                int token = cuda.Argmax(head, 1, forward.Config.VocabSize)[0];
                double d = watch.Elapsed.TotalMilliseconds;
                cuda.Free(head);
                if (token < 0) throw new InvalidOperationException("argmax failed");
                if (i < 2 * _s.Warmup) continue;
                wall[graphs].Add(w);
                gpu[graphs].Add(g);
                step[graphs].Add(d);
            }
            var after = cuda.GraphStats;
            Console.WriteLine($"CUDA graphs: cached {module.Count}+{ids.Length} wall {Median(wall[true]):0.00} ms (gpu {Median(gpu[true]):0.00}) with, {Median(wall[false]):0.00} ms (gpu {Median(gpu[false]):0.00}) without; " +
                $"decode step {Median(step[true]):0.00} vs {Median(step[false]):0.00} ms (medians of {_s.Reps}, alternating); {after.Launched - before.Launched} chunks launched, {after.Instantiated - before.Instantiated} instantiated, " +
                $"{(after.SignatureTime - before.SignatureTime).TotalMicroseconds / Math.Max(1, after.Launched - before.Launched):0.0} µs of host time per chunk for its signature");
            AddRow("cached, CUDA graphs on", module.Count + ids.Length, Median(wall[true]), Median(gpu[true]), Floors.Milliseconds(forward.Config, ids.Length, module.Count), double.NaN);
            AddRow("cached, CUDA graphs off", module.Count + ids.Length, Median(wall[false]), Median(gpu[false]), Floors.Milliseconds(forward.Config, ids.Length, module.Count), double.NaN);
            cuda.Release(output);
        }
        catch (Exception e)
        {
            Console.WriteLine($"CUDA GRAPHS A/B FAILED: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            cuda.GraphsOverride = null;
        }
    }

    private void AddRow(string name, int tokens, double wall, double gpu, double floor, double hf) =>
        _table.Add($"{name,-34} {tokens,7} {wall,9:0.00} {gpu,9:0.00} {floor,9:0.00} {wall / floor,10:0.00} {(double.IsNaN(hf) ? "-" : hf.ToString("0.0")),8} {(double.IsNaN(hf) ? "-" : (hf / wall).ToString("0.00") + "x"),8}");

    private static int[] RandomIds(Random rng, int n, int vocab) => Enumerable.Range(0, n).Select(_ => rng.Next(vocab)).ToArray();

    // One TTFT: forward, last-row logits, argmax on the GPU, token id back on the host.
    private static (double Wall, double Gpu) TimedCall(CudaBackend cuda, LlamaModel forward, int[] ids, int[] positions, IReadOnlyList<KvSegment> context, KvSegment output)
    {
        cuda.Synchronize();
        using var start = CudaEvent.Create(cuda.Device.Context);
        using var end = CudaEvent.Create(cuda.Device.Context);
        var watch = Stopwatch.StartNew();
        start.Record(cuda.Device.Stream);
        float* head = forward.ForwardToBackend(ids, positions, context, output, 1);
        int[] token = cuda.Argmax(head, 1, forward.Config.VocabSize);
        double wall = watch.Elapsed.TotalMilliseconds;
        end.Record(cuda.Device.Stream);
        double gpu = end.MillisecondsSince(start);
        cuda.Free(head);
        if (token[0] < 0 || token[0] >= forward.Config.VocabSize) throw new InvalidOperationException($"argmax returned {token[0]}");
        return (wall, gpu);
    }

    private (double Wall, double Gpu) Measure(CudaBackend cuda, Func<(double, double)> call)
    {
        // Every row from the same start: an idle GPU (BenchSettings.Settle), then the warm-ups.
        cuda.Synchronize();
        Thread.Sleep(TimeSpan.FromSeconds(_s.Settle));
        for (int i = 0; i < _s.Warmup; i++) call();
        var walls = new List<double>();
        var gpus = new List<double>();
        for (int i = 0; i < _s.Reps; i++)
        {
            var (w, g) = call();
            walls.Add(w);
            gpus.Add(g);
        }
        return (Median(walls), Median(gpus));
    }

    // Median GPU time (ms) of `body` over 10 runs after 3 untimed ones, between events on the stream;
    // work the backend holds back (GEMM groups, a pending add) is flushed inside the timed span.
    private static double GpuMedianMs(CudaBackend cuda, Action body)
    {
        var times = new List<double>();
        for (int r = 0; r < 13; r++)
        {
            cuda.Synchronize();
            using var start = CudaEvent.Create(cuda.Device.Context);
            using var end = CudaEvent.Create(cuda.Device.Context);
            start.Record(cuda.Device.Stream);
            body();
            cuda.Flush();
            end.Record(cuda.Device.Stream);
            double ms = end.MillisecondsSince(start);
            if (r >= 3) times.Add(ms);
        }
        return Median(times);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    // The GEMM rate the model actually gets through the backend (f32 input converted to bf16, f32 output).
    private void GemmRate(CudaBackend cuda, ModelConfig config)
    {
        foreach (var (m, rows, cols) in new[] { (4096, config.FfnSize, config.HiddenSize), (8192, 8192, 8192), (48, config.FfnSize, config.HiddenSize) })
        {
            var table = cuda.CreateRandomWeight("x", m, cols, 77, 1f);
            var w = cuda.CreateRandomWeight("w", rows, cols, 78, MathF.Sqrt(3f / cols));
            float* x = cuda.Allocate((long)m * cols);
            float* y = cuda.Allocate((long)m * rows);
            cuda.Embed(table, Enumerable.Range(0, m).ToArray(), x);
            var (_, gpu) = Measure(cuda, () =>
            {
                cuda.Synchronize();
                using var start = CudaEvent.Create(cuda.Device.Context);
                using var end = CudaEvent.Create(cuda.Device.Context);
                start.Record(cuda.Device.Stream);
                cuda.MatMul(x, m, w, y);
                cuda.Flush(); // launches the recorded chunk (CUDA graphs) before the end event
                end.Record(cuda.Device.Stream);
                return (0, end.MillisecondsSince(start));
            });
            cuda.Free(x);
            cuda.Free(y);
            double tflops = 2.0 * m * rows * cols / (gpu * 1e-3) / 1e12;
            Console.WriteLine($"GEMM through the backend (bf16 x bf16 -> f32, {_skinny} for m <= 64, {(cuda.Options.TunedPrefillGemms ? "tuned cuBLASLt" : "cublasGemmEx")} above; bf16 input reused after the first call): m {m} × {rows} × {cols}: {gpu:0.000} ms, {tflops:0} TFLOP/s");
        }
    }

    // One call, as the timings run it (graphs included), between cuProfilerStart and cuProfilerStop: under
    // `ncu --profile-from-start off` only its kernels are measured (benchmarks/Cuda/kernel_trace.sh sums them by name).
    // Ranges follow one another in the order of the "Kernel trace" lines.
    private static void Traced(CudaBackend cuda, string title, Func<IntPtr> call)
    {
        cuda.Synchronize();
        Console.WriteLine($"Kernel trace: {title}");
        cuda.Device.MakeCurrent();
        CudaCheck.Driver(CuDriver.cuProfilerStart());
        IntPtr head;
        try
        {
            head = call();
            cuda.Synchronize();
        }
        finally
        {
            CudaCheck.Driver(CuDriver.cuProfilerStop()); // a failed call must not leave the rest of the run profiled
        }
        cuda.Free((float*)head);
    }

    // Per-category GPU time of one call, from events recorded before each backend call: the call runs on the same weights
    // through OpMarkingBackend, which names each call's category on its way to the CUDA backend.
    private void Profile(CudaBackend cuda, LlamaModel forward, string title, Func<LlamaModel, IntPtr> call)
    {
        var marks = new List<(string Name, CudaEvent Event)>();
        cuda.GraphsOverride = false; // events between the ops cannot sit inside recorded graphs
        var host = new Stopwatch();
        double hostLead = 0;
        var marking = new OpMarkingBackend(cuda, forward.Config.VocabSize);
        using var marked = LlamaModel.FromWeights(forward.Config, forward.Weights, marking);
        void Mark(string name)
        {
            if (marks.Count == 0) hostLead = host.Elapsed.TotalMilliseconds;
            var e = CudaEvent.Create(cuda.Device.Context);
            e.Record(cuda.Device.Stream);
            marks.Add((name, e));
        }
        cuda.Free((float*)call(marked)); // once unmarked: the new model's first call builds its RoPE rows on the host
        marking.OnOp = Mark;
        cuda.Synchronize();
        using var before = CudaEvent.Create(cuda.Device.Context);
        using var after = CudaEvent.Create(cuda.Device.Context);
        before.Record(cuda.Device.Stream);
        host.Start();
        IntPtr head;
        try
        {
            head = call(marked);
            Mark("end");
        }
        finally
        {
            marking.OnOp = null;
            cuda.GraphsOverride = null;
        }
        cuda.Free((float*)head);
        cuda.Synchronize();
        after.Record(cuda.Device.Stream);
        cuda.Synchronize();
        var totals = new Dictionary<string, double>();
        for (int i = 0; i + 1 < marks.Count; i++)
        {
            double ms = marks[i + 1].Event.MillisecondsSince(marks[i].Event);
            totals[marks[i].Name] = totals.GetValueOrDefault(marks[i].Name) + ms;
        }
        // The whole call (its setup before the first op, and what the last op's successors launch) for comparison.
        double whole = after.MillisecondsSince(before), lead = marks.Count > 0 ? marks[0].Event.MillisecondsSince(before) : 0;
        foreach (var m in marks) m.Event.Dispose();
        Console.WriteLine($"Profile of {title} (GPU ms by op): " + string.Join(", ", totals.OrderByDescending(t => t.Value).Select(t => $"{t.Key} {t.Value:0.00}")) + $"; total {totals.Values.Sum():0.00} of {whole:0.00} for the whole call ({lead:0.00} before its first op; the host took {hostLead:0.00} to reach it)");
    }
}
