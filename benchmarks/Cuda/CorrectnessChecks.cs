using System.Text.Json;
using PromptCache.Cuda.Backend;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cuda.Bench;

/// <summary>GPU correctness: HF fixtures through LlamaModel, and CPU vs CUDA on random models (both attention kernels).</summary>
internal static unsafe class CorrectnessChecks
{
    public static int Failures { get; private set; }

    /// <summary>Attention kernels whose CPU-vs-CUDA checks all passed (the benchmark uses the fastest of them).</summary>
    public static HashSet<AttentionKernel> PassedKernels { get; } = new();

    /// <summary>False when a check of the cuBLASLt skinny-GEMM path failed (the timings then keep cublasGemmEx).</summary>
    public static bool SkinnyGemmPassed { get; private set; } = true;

    /// <summary>False when a check of the skinny-GEMM kernel failed or it fell back to cuBLAS (the timings then do not use it).</summary>
    public static bool SkinnyKernelPassed { get; private set; } = true;

    /// <summary>True when the wgmma skinny GEMM ran and its checks passed (Hopper only; the timings may then use it everywhere).</summary>
    public static bool SkinnyWgmmaPassed { get; private set; }

    /// <summary>False when the check of short queries through the warp-specialised attention kernel failed (no A/B row then).</summary>
    public static bool WsShortQueriesPassed { get; private set; } = true;


    /// <summary>False when a check with the fused residual add + RMSNorm failed (the timings then run them apart).</summary>
    public static bool FusedNormPassed { get; private set; } = true;

    /// <summary>False when a check of the fused q/k/v and gate/up GEMM failed or it ran apart (the timings then do not use it).</summary>
    public static bool FusedGroupPassed { get; private set; } = true;

    /// <summary>False when a check with CUDA graphs failed (the timings then launch op by op).</summary>
    public static bool GraphsPassed { get; private set; } = true;

    /// <summary>False when a check of the bf16 SwiGLU at prefill sizes failed (the timings then run without it).</summary>
    public static bool Bf16SwiGluPassed { get; private set; } = true;

    /// <summary>False when a check of the wgmma attention failed (the timings then run the other kernels).</summary>
    public static bool WgmmaPassed { get; private set; } = true;

    /// <summary>False when the value projection written into the segment failed its check (the timings then store V as before).</summary>
    public static bool ValuesIntoSegmentPassed { get; private set; } = true;

    /// <summary>False when the SwiGLU GEMM (gate/up with SiLU·mul in its epilogue) failed its check (the timings then run cuBLAS and silu_mul).</summary>
    public static bool SwiGluGemmPassed { get; private set; } = true;

    /// <summary>The SwiGLU GEMM in clusters of two blocks gave the logits of one block per tile.</summary>
    public static bool PairedSwiGluPassed { get; private set; } = true;

    /// <summary>False when the residual added inside the output and down projections failed its check (the timings then add after them).</summary>
    public static bool ResidualInGemmPassed { get; private set; } = true;

    /// <summary>False when the copy-engine K/V loads of the warp-specialised attention failed their check (the timings then keep cp.async).</summary>
    public static bool TmaAttentionPassed { get; private set; } = true;

    /// <summary>False once a persistent warp-specialised attention check failed: the timings then launch a block per item.</summary>
    public static bool PersistentAttentionPassed { get; private set; } = true;

    /// <summary>False when the 128-key steps of the warp-specialised attention failed their check (the timings then take 64 keys per step).</summary>
    public static bool WideKeyStepsPassed { get; private set; } = true;

    /// <summary>False when RoPE left to its readers changed a logit (the timings then run RoPE as a pass).</summary>
    public static bool RopeInReadersPassed { get; private set; } = true;

    /// <summary>False when the check with attention key splits tuned per shape failed (the timings then use the computed split).</summary>
    public static bool TunedSplitsPassed { get; private set; } = true;

    private static readonly HashSet<AttentionKernel> FailedKernels = new();

    /// <summary>
    /// The HF models through LlamaModel with the new paths (skinny kernel tuned per shape; fused add +
    /// RMSNorm with row RoPE): Qwen2 biases, Qwen3 q/k norms, llama3 RoPE, and LlamaModel's own calls
    /// (attention groups by interior pointers). A failure takes that path out of the timings.
    /// </summary>
    public static void HfFastPaths(IEnumerable<(IEnumerable<string> Names, string Root)> models)
    {
        var list = models.ToList();
        var runs = new (string Label, CudaBackendOptions Options, bool Skinny)[]
        {
            ("skinny kernel tuned per shape", new CudaBackendOptions { SkinnyGemm = SkinnyGemmPath.Kernel, FuseResidualNorm = false, RowRope = false, FusedGroupGemm = false }, true),
            ("fused add+norm, row RoPE", new CudaBackendOptions { SkinnyGemm = SkinnyGemmPath.CublasGemmEx, FusedGroupGemm = false }, false),
            ("library defaults (Hopper: wgmma skinny GEMMs; elsewhere cuBLASLt tuned, fused groups)", new CudaBackendOptions(), false),
            // New in session 4: forwards recorded as chunked CUDA graphs (used while host write-back is off).
            ("library defaults + CUDA graphs, no host write-back", new CudaBackendOptions { CudaGraphs = true, KvHostWriteBack = false }, false),
            // Short-query GEMMs through cublasGemmEx recorded into graphs (the other GEMM path).
            ("cublasGemmEx + CUDA graphs, no host write-back", new CudaBackendOptions { CudaGraphs = true, KvHostWriteBack = false, SkinnyGemm = SkinnyGemmPath.CublasGemmEx, FusedGroupGemm = false }, false),
        };
        foreach (var (label, options, skinny) in runs)
        {
            int failuresBefore = Failures;
            foreach (var (names, root) in list)
            {
                Console.Write($"({label}) ");
                HfModels(names, root, options);
            }
            if (Failures == failuresBefore) continue;
            if (options.CudaGraphs) GraphsPassed = false;
            else if (options.FusedGroupGemm) FusedGroupPassed = false;
            else if (skinny) SkinnyKernelPassed = false;
            else FusedNormPassed = false;
        }
    }

    private static void Report(string name, LogitCompare c, double maxRelL2 = 2e-2)
    {
        bool ok = c.Passes(maxRelL2);
        if (!ok) Failures++;
        Console.WriteLine($"  {(ok ? "PASS" : "FAIL")}  {name,-52} {c}");
    }

    private static void Error(string name, Exception e)
    {
        Failures++;
        Console.WriteLine($"  FAIL  {name,-52} {e.GetType().Name}: {e.Message}");
    }

    /// <summary>
    /// K/V written back to host memory asynchronously (HostWriteBack) against the synchronous copy, byte for
    /// byte, for every storage type: a prompt then three decode steps into one segment, read back at once
    /// (the read has to wait for copies still in flight).
    /// </summary>
    public static void HostWriteBack(IEnumerable<string> names, string root)
    {
        Console.WriteLine($"Host write-back, asynchronous vs synchronous ({root}):");
        foreach (string name in names)
        {
            foreach (var type in new[] { KvDataType.F16, KvDataType.BF16, KvDataType.F32 })
            {
                string label = $"write-back bytes, {name}, {type}";
                try
                {
                    // One backend for both: GEMM algorithms are tuned per backend, and two tunings may
                    // pick different ones (another summation order), which is not what this compares. Nor
                    // is the Hopper skinny GEMM's (the default there), whose atomics add in any order.
                    string folder = Path.Combine(root, name);
                    using var backend = new CudaBackend(new CudaBackendOptions { SkinnyGemm = SkinnyGemmPath.CublasLtTuned });
                    using var model = LlamaModel.Load(folder, backend);
                    byte[] sync = WrittenBack(backend, model, folder, type, asynchronous: false);
                    byte[] async = WrittenBack(backend, model, folder, type, asynchronous: true);
                    bool same = sync.AsSpan().SequenceEqual(async);
                    if (!same) Failures++;
                    Console.WriteLine($"  {(same ? "PASS" : "FAIL")}  {label,-52} {sync.Length} bytes {(same ? "identical" : "DIFFER")}");
                }
                catch (Exception e)
                {
                    Error(label, e);
                }
            }
        }
    }

    private static byte[] WrittenBack(CudaBackend backend, LlamaModel model, string folder, KvDataType type, bool asynchronous)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "reference.json")));
        var plain = doc.RootElement.GetProperty("plain");
        int[] ids = plain.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        int[] positions = plain.GetProperty("positions").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        backend.HostWriteBackOverride = (true, asynchronous);
        try
        {
            using var segment = model.CreateSegment(type, ids.Length + 3);
            model.Forward(ids, positions, [], segment, LogitsMode.Last);
            for (int t = 0; t < 3; t++) model.Forward([ids[t]], [positions[^1] + 1 + t], [], segment, LogitsMode.Last);
            var bytes = new byte[segment.LayerCount * segment.LayerByteCount];
            for (int l = 0; l < segment.LayerCount; l++) segment.CopyLayerTo(l, bytes.AsSpan((int)(l * segment.LayerByteCount), (int)segment.LayerByteCount));
            return bytes;
        }
        finally
        {
            backend.HostWriteBackOverride = null;
        }
    }

    /// <summary>The tiny HF models (llama with llama3 RoPE, qwen2 with bias and tied head, qwen3 with q/k norm) vs transformers' f32 logits.</summary>
    public static void HfFixtures(string fixturesDir, CudaBackendOptions options) =>
        HfModels(["llama", "qwen2", "qwen3"], fixturesDir, options);

    /// <summary>Models saved by HF with a reference.json beside them (Fixtures/hf layout), compared the same way.</summary>
    public static void HfModels(IEnumerable<string> names, string root, CudaBackendOptions options)
    {
        Console.WriteLine($"HF models ({root}), attention={options.Attention}:");
        int failuresBefore = Failures;
        try
        {
            HfModelsUnmarked(names, root, options);
        }
        finally
        {
            // An explicitly chosen kernel that fails here is not used for the timings either.
            if (Failures != failuresBefore && options.Attention != AttentionKernel.Auto)
            {
                FailedKernels.Add(options.Attention);
                PassedKernels.Remove(options.Attention);
            }
        }
    }

    // The engine's arguments: rows that see the modules only below their own positions
    // (ContextVisibility.BelowQueryPosition) form row groups, which the CUDA backend runs as one launch per
    // layer (MergeAttentionGroups), by default as one block per head reading the keys once (MergedGroupsShareKeys).
    // Against the CPU backend, and against a block per group and one launch per group.
    private static void ArgumentRowGroups(string folder, string name, CudaBackend backend, LlamaModel model, CudaBackendOptions options)
    {
        var rng = new Random(5);
        int vocab = model.Config.VocabSize;
        int[] Ids(int n) => Enumerable.Range(0, n).Select(_ => rng.Next(vocab)).ToArray();
        static int[] Range(int start, int n) => Enumerable.Range(start, n).ToArray();
        // Modules at 0-99, 120-199 and 220-299; an argument at 100-107 sees the first, one at 210-217 the first
        // two, the suffix at 300-331 all three: three row groups, as in the engine's benchmark request.
        int[] idsA = Ids(100), idsB = Ids(80), idsC = Ids(80), query = Ids(48);
        int[] queryPositions = [.. Range(100, 8), .. Range(210, 8), .. Range(300, 32)];
        float[] Run(LlamaModel m)
        {
            using var a = m.Prefill(idsA, Range(0, 100));
            using var b = m.Prefill(idsB, Range(120, 80), [a]);
            using var c = m.Prefill(idsC, Range(220, 80), [a, b]);
            return m.Forward(query, queryPositions, [a, b, c], null, LogitsMode.All, ContextVisibility.BelowQueryPosition).Logits;
        }
        try
        {
            using var cpuModel = LlamaModel.Load(folder, CpuBackend.Instance);
            float[] cpu = Run(cpuModel);
            long before = backend.MergedAttentionLaunches, sharedBefore = backend.SharedKeyLaunches;
            backend.MergeAttentionGroupsOverride = true;
            backend.SharesKeysOverride = true;
            float[] shared = Run(model);
            bool sharedRan = backend.SharedKeyLaunches > sharedBefore;
            backend.SharesKeysOverride = false;
            float[] together = Run(model);
            bool merged = backend.MergedAttentionLaunches > before;
            backend.MergeAttentionGroupsOverride = false;
            float[] apart = Run(model);
            Report($"{name} argument row groups, one block per head for all", LogitCompare.Of(shared, cpu, vocab));
            Report($"{name} argument row groups, one launch per layer", LogitCompare.Of(together, cpu, vocab));
            Report($"{name} argument row groups, one launch per group", LogitCompare.Of(apart, cpu, vocab));
            // Not bit for bit: each launch picks its key splits for its own shape, so the partial sums and the
            // bf16 rounding of the output differ (3.2e-3 on llama-hd128, H100); all are checked against the CPU above.
            Report($"{name} argument row groups, one launch vs one per group", LogitCompare.Of(together, apart, vocab), maxRelL2: 1e-2);
            Report($"{name} argument row groups, one block for all vs a block per group", LogitCompare.Of(shared, together, vocab), maxRelL2: 1e-2);
            bool wgmma = options.WgmmaAttention && backend.Device.ComputeCapability is { Major: 9, Minor: 0 } && model.Config.HeadDim is 64 or 128;
            if (wgmma && (!merged || !sharedRan))
            {
                Failures++;
                Console.WriteLine($"  FAIL  {name}: the row groups did not run as one launch{(sharedRan ? "" : " sharing the keys")} ({backend.WgmmaAttentionError ?? "no call held"})");
            }
        }
        catch (Exception e)
        {
            Error($"{name} argument row groups", e);
        }
        finally
        {
            backend.MergeAttentionGroupsOverride = null;
            backend.SharesKeysOverride = null;
        }
    }

    // RoPE left to its readers (the K/V store, the wgmma kernels' Q load) against RoPE as a pass of its own, on one
    // backend (the same timed choices): the rotation is the same arithmetic, so the logits must be the same bits.
    private static void RopeInReadersBitExact(string name, CudaBackend backend, LlamaModel model, int[] ids, int[] positions, float[] inReaders)
    {
        string label = $"{name} RoPE in its readers vs as a pass, bit for bit";
        var used = (Stores: backend.RotatingStores, Attention: backend.RotatingAttentionLaunches);
        float[]? apart = ForwardWithout(label, on => backend.RopeInReadersOverride = on, model, ids, positions);
        if (apart is null)
        {
            RopeInReadersPassed = false;
            return;
        }
        // The fused paths must also have run: the store always, the attention kernels wherever wgmma ran.
        bool ok = inReaders.AsSpan().SequenceEqual(apart) && used.Stores > 0 && (backend.WgmmaCalls == 0 || used.Attention > 0);
        if (!ok)
        {
            Failures++;
            RopeInReadersPassed = false;
        }
        Console.WriteLine($"  {(ok ? "PASS" : "FAIL")}  {label,-52} {LogitCompare.Of(inReaders, apart, model.Config.VocabSize)}; " +
            $"{used.Stores} rotating stores, {used.Attention} rotating attention launches before it");
    }

    // The value projection's GEMM writing bf16 into the segment against f32 that the store converts, on one backend.
    // Not bit for bit: cuBLAS may pick another kernel for the bf16 output (another order of the f32 sums).
    private static void ValuesIntoSegment(string name, CudaBackend backend, LlamaModel model, int[] ids, int[] positions)
    {
        string label = $"{name} V projected into the segment vs stored";
        // A call of its own, not the first: with prefill GEMMs held in pairs (the SwiGLU GEMM), a GQA model's value
        // projection joins its q/k/v group, and is held for the store, only once the backend has learned the group.
        long used = backend.ValuesProjectedIntoSegments;
        float[] into = model.Forward(ids, positions, [], null, LogitsMode.All).Logits;
        used = backend.ValuesProjectedIntoSegments - used;
        float[]? apart = ForwardWithout(label, on => backend.ValuesIntoSegmentOverride = on, model, ids, positions);
        if (apart is null)
        {
            ValuesIntoSegmentPassed = false;
            return;
        }
        var compare = LogitCompare.Of(into, apart, model.Config.VocabSize);
        // Prefill-sized GEMMs are held for the store; short ones run as groups.
        bool ok = compare.Passes(1e-2) && (used > 0 || ids.Length <= backend.Options.SkinnyGemmMaxRows);
        if (!ok)
        {
            Failures++;
            ValuesIntoSegmentPassed = false;
        }
        Console.WriteLine($"  {(ok ? "PASS" : "FAIL")}  {label,-52} {compare}; {used} projections into segments in the call before it");
    }

    // A prefill fusion against its parts, on one backend: the same f32 sums in another order, so equal up to an ulp of a
    // few bf16 GEMM inputs. It must also have run wherever it can (a Hopper GPU for the SwiGLU GEMM; prefill-sized rows).
    private static bool FusedVsApart(string label, CudaBackend backend, LlamaModel model, int[] ids, int[] positions, float[] fused,
        Action<bool?> setOption, long used, bool hopperOnly, string? givenUp)
    {
        float[]? apart = ForwardWithout(label, setOption, model, ids, positions);
        if (apart is null) return false;
        var compare = LogitCompare.Of(fused, apart, model.Config.VocabSize);
        bool expected = (!hopperOnly || backend.Device.ComputeCapability is { Major: 9, Minor: 0 }) && ids.Length > backend.Options.SkinnyGemmMaxRows;
        bool ok = compare.Passes(1e-3) && (used > 0 || !expected);
        if (!ok) Failures++;
        Console.WriteLine($"  {(ok ? "PASS" : "FAIL")}  {label,-52} {compare}; {used} launches before it{(givenUp is { } e ? $" (given up: {e})" : "")}");
        return ok;
    }

    // The plain prompt's logits with one of the backend's options switched off (everything else, timed choices
    // included, as before), or null after reporting the error. The option is restored either way.
    private static float[]? ForwardWithout(string label, Action<bool?> setOption, LlamaModel model, int[] ids, int[] positions)
    {
        try
        {
            setOption(false);
            return model.Forward(ids, positions, [], null, LogitsMode.All).Logits;
        }
        catch (Exception e)
        {
            Error(label, e);
            return null;
        }
        finally
        {
            setOption(null);
        }
    }

    // The warp-specialised kernel's copy-engine loads and persistent blocks against its plain launch, with that kernel
    // pinned (the prefill-kernel timing may pick the two-warpgroup one for this prompt's shape).
    private static void WarpSpecializedPaths(string name, CudaBackend backend, LlamaModel model, int[] ids, int[] positions, CudaBackendOptions options)
    {
        backend.WarpSpecializedAttentionOverride = true;
        try
        {
            float[] ws = model.Forward(ids, positions, [], null, LogitsMode.All).Logits;
            if (options.TmaAttentionLoads && !FusedVsApart($"{name} TMA K/V loads vs cp.async", backend, model, ids, positions, ws,
                    on => backend.TmaAttentionOverride = on, backend.TmaAttentionLaunches, hopperOnly: true, backend.TmaAttentionError))
                TmaAttentionPassed = false;
            if (options.PersistentAttention && !FusedVsApart($"{name} persistent attention vs a block per item", backend, model, ids, positions, ws,
                    on => backend.PersistentAttentionOverride = on, backend.PersistentAttentionLaunches, hopperOnly: true, null))
                PersistentAttentionPassed = false;
            if (options.WideKeySteps && !FusedVsApart($"{name} 128-key attention steps vs 64-key steps", backend, model, ids, positions, ws,
                    on => backend.WideKeyStepsOverride = on, backend.WideKeyStepLaunches, hopperOnly: true, null))
                WideKeyStepsPassed = false;
        }
        finally
        {
            backend.WarpSpecializedAttentionOverride = null;
        }
    }

    private static void HfModelsUnmarked(IEnumerable<string> names, string root, CudaBackendOptions options)
    {
        foreach (string name in names)
        {
            string folder = Path.Combine(root, name);
            if (!File.Exists(Path.Combine(folder, "reference.json")))
            {
                Error(name, new FileNotFoundException($"no reference.json in {folder}"));
                continue;
            }
            try
            {
                using var backend = new CudaBackend(options);
                using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "reference.json")));
                var plain = doc.RootElement.GetProperty("plain");
                var modular = doc.RootElement.GetProperty("modular");
                using var model = LlamaModel.Load(folder, backend);
                int vocab = model.Config.VocabSize;

                var result = model.Forward(Ints(plain, "ids"), Ints(plain, "positions"), [], null, LogitsMode.All);
                Report($"{name} plain ({result.Rows} tokens)", LogitCompare.Of(result.Logits, Logits(plain), vocab));
                if (options.RopeInReaders) RopeInReadersBitExact(name, backend, model, Ints(plain, "ids"), Ints(plain, "positions"), result.Logits);
                if (options.RopeInReaders && options.ValuesIntoSegment) ValuesIntoSegment(name, backend, model, Ints(plain, "ids"), Ints(plain, "positions"));
                if (options.FusedSwiGluGemm && !FusedVsApart($"{name} SwiGLU GEMM vs cuBLAS + silu_mul", backend, model, Ints(plain, "ids"), Ints(plain, "positions"),
                        result.Logits, on => backend.FusedSwiGluOverride = on, backend.SwiGluGemmCalls, hopperOnly: true, backend.SwiGluGemmError))
                    SwiGluGemmPassed = false;
                if (options.FusedSwiGluGemm && options.PairedSwiGluGemm && !FusedVsApart($"{name} paired SwiGLU GEMM vs one block per tile", backend, model, Ints(plain, "ids"),
                        Ints(plain, "positions"), result.Logits, on => backend.PairedSwiGluOverride = on, backend.PairedSwiGluGemmCalls, hopperOnly: true,
                        backend.SwiGluGemmError ?? backend.PairedSwiGluError))
                    PairedSwiGluPassed = false;
                if (options.WarpSpecializedAttention) WarpSpecializedPaths(name, backend, model, Ints(plain, "ids"), Ints(plain, "positions"), options);
                if (options.ResidualInGemm && !FusedVsApart($"{name} residual added in the GEMM vs after it", backend, model, Ints(plain, "ids"), Ints(plain, "positions"),
                        result.Logits, on => backend.ResidualInGemmOverride = on, backend.ResidualGemms, hopperOnly: false, null))
                    ResidualInGemmPassed = false;

                var segments = modular.GetProperty("segments").EnumerateArray()
                    .Select(s => model.Prefill(Ints(s, "ids"), Ints(s, "positions"))).ToList();
                try
                {
                    var query = modular.GetProperty("query");
                    var mod = model.Forward(Ints(query, "ids"), Ints(query, "positions"), segments, null, LogitsMode.All);
                    Report($"{name} modular ({segments.Count} segments + {mod.Rows} query)", LogitCompare.Of(mod.Logits, Logits(modular), vocab));

                    // The host copies written back by the CUDA backend must be usable on the CPU (without
                    // write-back the segments only exist on the device).
                    if (options.KvHostWriteBack)
                    {
                        using var cpuModel = LlamaModel.Load(folder, CpuBackend.Instance);
                        var cpu = cpuModel.Forward(Ints(query, "ids"), Ints(query, "positions"), segments, null, LogitsMode.All);
                        Report($"{name} CPU over CUDA-written segments", LogitCompare.Of(cpu.Logits, Logits(modular), vocab));
                    }
                }
                finally
                {
                    segments.ForEach(s => s.Dispose());
                }
                ArgumentRowGroups(folder, name, backend, model, options);
                if (options.FusedGroupGemm)
                {
                    foreach (string line in backend.FusedGroupLog) Console.WriteLine($"        {line}");
                    if (backend.FusedGroupError is { } ge) Error($"{name}: fused group GEMM fell back", new InvalidOperationException(ge));
                }
            }
            catch (Exception e)
            {
                Error(name, e);
            }
        }
    }

    /// <summary>CPU (f32) vs CUDA (bf16) on a random Llama with head_dim 128 and GQA, plain and modular, per attention kernel.</summary>
    /// <param name="tokens">Tokens of the plain prefill.</param>
    /// <param name="beforeUploadChecks">
    /// Runs after the kernel variants and before the checks over CPU-computed segments (host-tier
    /// loads), so that the newest code paths come last and a fault in one cannot hide the others.
    /// </param>
    /// <param name="headDim64">Eight heads of 64 instead of four of 128, and only the wgmma variants (with the
    /// pipelined kernel as their baseline): the wgmma kernel's other head dimension.</param>
    public static void CpuVsCuda(int tokens, Action? beforeUploadChecks = null, bool headDim64 = false)
    {
        int heads = headDim64 ? 8 : 4;
        var config = RandomModels.Config(d: 512, layers: 2, heads: heads, kvHeads: 2, ffn: 1024, vocab: 1000);
        Console.WriteLine($"CPU vs CUDA, random Llama (d 512, 2 layers, {heads} heads × {512 / heads}, 2 kv heads, vocab 1000), {tokens} tokens:");
        using var host = RandomModels.OnHost(config, seed: 1234);
        var rng = new Random(99);
        int[] ids = Enumerable.Range(0, tokens).Select(_ => rng.Next(config.VocabSize)).ToArray();
        int[] positions = Enumerable.Range(0, tokens).ToArray();
        // Modular: two modules at discontinuous positions, then a query after a gap.
        int[] segA = Enumerable.Range(0, 150).Select(_ => rng.Next(config.VocabSize)).ToArray();
        int[] segB = Enumerable.Range(0, 77).Select(_ => rng.Next(config.VocabSize)).ToArray();
        int[] queryIds = Enumerable.Range(0, 45).Select(_ => rng.Next(config.VocabSize)).ToArray();
        int[] posA = Enumerable.Range(0, 150).ToArray();
        int[] posB = Enumerable.Range(300, 77).ToArray();
        int[] posQ = Enumerable.Range(500, 45).ToArray();
        // Suffixes of 20 and 60 rows for the skinny-GEMM kernel's 2- and 4-m-tile variants (45 rows: 3, decode: 1).
        int[] query20 = Enumerable.Range(0, 20).Select(_ => rng.Next(config.VocabSize)).ToArray();
        int[] query60 = Enumerable.Range(0, 60).Select(_ => rng.Next(config.VocabSize)).ToArray();
        int[] pos20 = Enumerable.Range(520, 20).ToArray(), pos60 = Enumerable.Range(560, 60).ToArray();

        using var cpuForward = LlamaModel.FromWeights(config, host.Weights, CpuBackend.Instance);
        float[] cpuPlain, cpuModular, cpuDecode, cpu20, cpu60;
        using (var outSeg = new KvSegment(config))
            cpuPlain = cpuForward.Forward(ids, positions, [], outSeg, LogitsMode.All).Logits;
        using (var a = new KvSegment(config))
        using (var b = new KvSegment(config))
        using (var o = new KvSegment(config))
        {
            cpuForward.Forward(segA, posA, [], a, LogitsMode.None);
            cpuForward.Forward(segB, posB, [a], b, LogitsMode.None);
            cpuModular = cpuForward.Forward(queryIds, posQ, [a, b], o, LogitsMode.All).Logits;
            cpuDecode = cpuForward.Forward([queryIds[0]], [posQ[^1] + 1], [a, b], o, LogitsMode.All).Logits;
            using var o20 = new KvSegment(config);
            using var o60 = new KvSegment(config);
            cpu20 = cpuForward.Forward(query20, pos20, [a, b], o20, LogitsMode.All).Logits;
            cpu60 = cpuForward.Forward(query60, pos60, [a, b], o60, LogitsMode.All).Logits;
        }

        var variants = new (string Name, CudaBackendOptions Options)[]
        {
            ("simple kernel", CudaBackendOptions.Unfused(AttentionKernel.Simple, kvHostWriteBack: false)),
            ("tiled kernel", CudaBackendOptions.Unfused(AttentionKernel.Tiled, kvHostWriteBack: false)),
            ("tiled kernel, 3 key splits", CudaBackendOptions.Unfused(AttentionKernel.Tiled, 3, kvHostWriteBack: false)),
            ("tiled kernel, host write-back on", CudaBackendOptions.Unfused(AttentionKernel.Tiled, kvHostWriteBack: true)),
            ("tiled kernel, synchronous host write-back", CudaBackendOptions.Unfused(AttentionKernel.Tiled, kvHostWriteBack: true, asyncHostWriteBack: false)),
            // A 1-byte device tier: every idle segment copy is dropped after each call and loaded again.
            ("tiled kernel, device K/V budget 1 byte", CudaBackendOptions.Unfused(AttentionKernel.Tiled, kvHostWriteBack: true, deviceKvBudgetBytes: 1)),
            ("tiled kernel, device K/V budget 1 byte, no write-back", CudaBackendOptions.Unfused(AttentionKernel.Tiled, kvHostWriteBack: false, deviceKvBudgetBytes: 1)),
            ("ldmatrix kernel", CudaBackendOptions.Unfused(AttentionKernel.TiledLdmatrix, kvHostWriteBack: false)),
            ("ldmatrix kernel, 5 key splits", CudaBackendOptions.Unfused(AttentionKernel.TiledLdmatrix, 5, kvHostWriteBack: false)),
            // New since the first H100 run (attention_pipelined.cu); last, so that a fault in them
            // cannot hide the results of the kernels above. Forced splits 1 exercise the unsplit path
            // for the short queries too; forced splits on the
            // 600-token prefill give the first query blocks splits with no key tile at all.
            ("pipelined kernel", CudaBackendOptions.Unfused(AttentionKernel.Pipelined, kvHostWriteBack: false)),
            ("pipelined kernel, 1 key split", CudaBackendOptions.Unfused(AttentionKernel.Pipelined, 1, kvHostWriteBack: false)),
            ("pipelined kernel, 7 key splits", CudaBackendOptions.Unfused(AttentionKernel.Pipelined, 7, kvHostWriteBack: false)),
            ("pipelined wide kernel", CudaBackendOptions.Unfused(AttentionKernel.PipelinedWide, kvHostWriteBack: false)),
            ("pipelined wide kernel, 3 key splits", CudaBackendOptions.Unfused(AttentionKernel.PipelinedWide, 3, kvHostWriteBack: false)),
            // New in session 5 (attention_wgmma.cu, Hopper only): every call of these runs it, the 77-row
            // module, the 45-row query and the decode step with their keys split over blocks.
            ("wgmma kernel", CudaBackendOptions.Unfused(AttentionKernel.Pipelined, kvHostWriteBack: false, wgmma: true)),
            ("wgmma kernel, 3 key splits", CudaBackendOptions.Unfused(AttentionKernel.Pipelined, 3, kvHostWriteBack: false, wgmma: true)),
            ("wgmma kernel, host write-back on", CudaBackendOptions.Unfused(AttentionKernel.Tiled, kvHostWriteBack: true, wgmma: true)),
            // New in session 9: the warp-specialised prefill kernel (head dimension 128; the 600-row prompt and the
            // 150- and 77-row modules, the last a partial block), with one split and with three.
            ("warp-specialised wgmma kernel", CudaBackendOptions.Unfused(AttentionKernel.Pipelined, kvHostWriteBack: false, wgmma: true, warpSpecialized: true)),
            ("warp-specialised wgmma kernel, 3 key splits", CudaBackendOptions.Unfused(AttentionKernel.Pipelined, 3, kvHostWriteBack: false, wgmma: true, warpSpecialized: true)),
            // New in session 5: gate/up GEMMs in bf16 feeding SiLU·mul at prefill sizes (the 600-token
            // prompt, after a first call that learns the gate/up pair, and the 150- and 77-row modules).
            ("bf16 SwiGLU at prefill sizes", new CudaBackendOptions
            {
                Attention = AttentionKernel.Pipelined, KvHostWriteBack = false, SkinnyGemm = SkinnyGemmPath.CublasGemmEx, TuneAttentionSplits = false,
                FuseResidualNorm = false, RowRope = false, FusedGroupGemm = false, CudaGraphs = false, WgmmaAttention = false, Bf16SwiGlu = true,
            }),
        };
        foreach (var (name, options) in variants)
        {
            if (headDim64 && !options.WgmmaAttention && name != "pipelined kernel") continue;
            int failuresBefore = Failures;
            try
            {
                using var cuda = new CudaBackend(options);
                using var f = LlamaModel.FromWeights(config, host.Weights, cuda);
                if (options.Bf16SwiGlu)
                    using (var learn = new KvSegment(config, KvDataType.BF16))
                        f.Forward(ids, positions, [], learn, LogitsMode.None); // the backend learns the gate/up pair here
                using (var outSeg = new KvSegment(config, KvDataType.BF16))
                    Report($"plain, {name}", LogitCompare.Of(f.Forward(ids, positions, [], outSeg, LogitsMode.All).Logits, cpuPlain, config.VocabSize));
                using var a = new KvSegment(config, KvDataType.BF16);
                using var b = new KvSegment(config, KvDataType.BF16);
                using var o = new KvSegment(config, KvDataType.BF16);
                f.Forward(segA, posA, [], a, LogitsMode.None);
                f.Forward(segB, posB, [a], b, LogitsMode.None);
                Report($"modular, {name}", LogitCompare.Of(f.Forward(queryIds, posQ, [a, b], o, LogitsMode.All).Logits, cpuModular, config.VocabSize));
                Report($"decode step, {name}", LogitCompare.Of(f.Forward([queryIds[0]], [posQ[^1] + 1], [a, b], o, LogitsMode.All).Logits, cpuDecode, config.VocabSize));
                if (options.WgmmaAttention && cuda.Device.ComputeCapability is { Major: 9, Minor: 0 } && cuda.WgmmaCalls == 0)
                {
                    Failures++;
                    Console.WriteLine($"  FAIL  wgmma kernel not used: {cuda.WgmmaAttentionError ?? "no call took it"}");
                }
                if (options.DeviceKvBudgetBytes > 0)
                {
                    bool evicted = cuda.DeviceKvEvictions > 0;
                    if (!evicted) Failures++;
                    Console.WriteLine($"  {(evicted ? "PASS" : "FAIL")}  {"device tier kept to its budget, " + name,-52} {cuda.DeviceKvEvictions} copies dropped, {cuda.DeviceKvBytes} bytes held");
                }
                if (options.KvHostWriteBack)
                {
                    // Segments written on the GPU, then read by the CPU backend from host memory.
                    using var o2 = new KvSegment(config);
                    Report("CPU over CUDA-written bf16 segments", LogitCompare.Of(cpuForward.Forward(queryIds, posQ, [a, b], o2, LogitsMode.All).Logits, cpuModular, config.VocabSize));
                }
            }
            catch (Exception e)
            {
                Error(name, e);
            }
            if (options.Bf16SwiGlu)
            {
                if (Failures != failuresBefore) Bf16SwiGluPassed = false;
                continue;
            }
            if (options.WgmmaAttention)
            {
                // A failure here is the wgmma kernel's (the other kernel was checked alone above).
                if (Failures != failuresBefore) WgmmaPassed = false;
                continue;
            }
            if (Failures == failuresBefore) PassedKernels.Add(options.Attention);
            else FailedKernels.Add(options.Attention);
        }
        PassedKernels.ExceptWith(FailedKernels);
        if (headDim64) return;

        // cuBLASLt skinny GEMMs (new since the second H100 run): the modular call (45 rows) and the
        // decode step (1 row) go through the tuned path; plain 600-token prefill does not. A failure
        // here only keeps the timings on cublasGemmEx.
        foreach (var kernel in new[] { AttentionKernel.Pipelined, AttentionKernel.Tiled })
        {
            string name = $"{kernel} kernel, cuBLASLt skinny GEMMs";
            int failuresBefore = Failures;
            try
            {
                using var cuda = new CudaBackend(new CudaBackendOptions { Attention = kernel, KvHostWriteBack = false, SkinnyGemm = SkinnyGemmPath.CublasLtTuned });
                using var f = LlamaModel.FromWeights(config, host.Weights, cuda);
                using var a = new KvSegment(config, KvDataType.BF16);
                using var b = new KvSegment(config, KvDataType.BF16);
                using var o = new KvSegment(config, KvDataType.BF16);
                f.Forward(segA, posA, [], a, LogitsMode.None);
                f.Forward(segB, posB, [a], b, LogitsMode.None);
                Report($"modular, {name}", LogitCompare.Of(f.Forward(queryIds, posQ, [a, b], o, LogitsMode.All).Logits, cpuModular, config.VocabSize));
                Report($"decode step, {name}", LogitCompare.Of(f.Forward([queryIds[0]], [posQ[^1] + 1], [a, b], o, LogitsMode.All).Logits, cpuDecode, config.VocabSize));
                foreach (string line in cuda.TunedGemmLog) Console.WriteLine($"        {line}");
            }
            catch (Exception e)
            {
                Error(name, e);
            }
            if (Failures != failuresBefore) SkinnyGemmPassed = false;
        }

        // The skinny-GEMM kernel (skinny_gemm.cu: q/k/v and gate/up in one launch each, learned from
        // the segment prefills) and the fused residual add + RMSNorm (fused_norm.cu), new this session:
        // 1, 20, 45 and 60 rows cover all four m-tile variants; the head (vocab 1000) is not a multiple
        // of the 64-row block. A fallback to cuBLAS counts as a failure, so the timings never claim it.
        static CudaBackendOptions Skinny(SkinnyKernelVariant variant, int splits = 0, AttentionKernel attention = AttentionKernel.Pipelined, bool fused = false, bool dependent = true) =>
            new()
            {
                Attention = attention, KvHostWriteBack = false, SkinnyGemm = SkinnyGemmPath.Kernel, SkinnyVariant = variant, SkinnySplits = splits,
                FuseResidualNorm = fused, RowRope = fused, FusedGroupGemm = false, TuneAttentionSplits = false, DependentLaunches = dependent,
            };
        var fast = new (string Name, CudaBackendOptions Options, bool Skinny, bool Fused)[]
        {
            ("skinny tuned per shape", Skinny(SkinnyKernelVariant.Auto), true, false),
            ("skinny Rows64", Skinny(SkinnyKernelVariant.Rows64), true, false),
            ("skinny Rows64, 1 split, tiled", Skinny(SkinnyKernelVariant.Rows64, 1, AttentionKernel.Tiled), true, false),
            ("skinny Rows32", Skinny(SkinnyKernelVariant.Rows32), true, false),
            ("skinny Rows32, 2 splits", Skinny(SkinnyKernelVariant.Rows32, 2), true, false),
            ("skinny Rows64Pipelined", Skinny(SkinnyKernelVariant.Rows64Pipelined), true, false),
            ("skinny Rows64Pipelined, 3 splits", Skinny(SkinnyKernelVariant.Rows64Pipelined, 3), true, false),
            // The Hopper kernel (skinny_wgmma.cu), as dependent launches (the default) and plain ones.
            ("skinny Wgmma", Skinny(SkinnyKernelVariant.Wgmma), false, false),
            ("skinny Wgmma, plain launches", Skinny(SkinnyKernelVariant.Wgmma, dependent: false), false, false),
            // Short queries through the warp-specialised attention kernel (opt-in; head dimension 128 on Hopper).
            ("warp-specialised short queries", new CudaBackendOptions
            {
                Attention = AttentionKernel.Pipelined, KvHostWriteBack = false, SkinnyGemm = SkinnyGemmPath.CublasGemmEx, FusedGroupGemm = false,
                WarpSpecializedShortQueries = true,
            }, false, false),
            ("fused add+norm, row RoPE", new CudaBackendOptions { Attention = AttentionKernel.Pipelined, KvHostWriteBack = false, SkinnyGemm = SkinnyGemmPath.CublasGemmEx, FusedGroupGemm = false, TuneAttentionSplits = false }, false, true),
            ("skinny tuned + fused add+norm, row RoPE", Skinny(SkinnyKernelVariant.Auto, fused: true), true, false),
            ("attention key splits tuned per shape", new CudaBackendOptions { Attention = AttentionKernel.Pipelined, KvHostWriteBack = false, SkinnyGemm = SkinnyGemmPath.CublasGemmEx, FuseResidualNorm = false, RowRope = false, FusedGroupGemm = false }, false, false),
            // One cuBLAS(Lt) GEMM over q/k/v (gate/up) placed back to back, split by group_split.cu;
            // host weights here, so the first fused call moves each group into one allocation.
            ("fused group GEMM", new CudaBackendOptions { Attention = AttentionKernel.Pipelined, KvHostWriteBack = false, SkinnyGemm = SkinnyGemmPath.CublasGemmEx, FuseResidualNorm = false, RowRope = false, TuneAttentionSplits = false }, false, false),
            ("fused group GEMM, cuBLASLt", new CudaBackendOptions { Attention = AttentionKernel.Pipelined, KvHostWriteBack = false, SkinnyGemm = SkinnyGemmPath.CublasLtTuned, FuseResidualNorm = false, RowRope = false, TuneAttentionSplits = false }, false, false),
            ("fused group GEMM + skinny tuned + fused add+norm, row RoPE", new CudaBackendOptions
            {
                Attention = AttentionKernel.Pipelined, KvHostWriteBack = false, FusedGroupGemm = true, SkinnyGemm = SkinnyGemmPath.Kernel,
                FuseResidualNorm = true, RowRope = true, TuneAttentionSplits = true,
            }, false, false),
        };
        bool wgmmaRan = false, wgmmaFailed = false;
        foreach (var (name, options, skinny, fused) in fast)
        {
            int failuresBefore = Failures;
            try
            {
                using var cuda = new CudaBackend(options);
                using var f = LlamaModel.FromWeights(config, host.Weights, cuda);
                if (options.Bf16SwiGlu)
                    using (var learn = new KvSegment(config, KvDataType.BF16))
                        f.Forward(ids, positions, [], learn, LogitsMode.None); // the backend learns the gate/up pair here
                using (var outSeg = new KvSegment(config, KvDataType.BF16))
                    Report($"plain, {name}", LogitCompare.Of(f.Forward(ids, positions, [], outSeg, LogitsMode.All).Logits, cpuPlain, config.VocabSize));
                using var a = new KvSegment(config, KvDataType.BF16);
                using var b = new KvSegment(config, KvDataType.BF16);
                using var o = new KvSegment(config, KvDataType.BF16);
                using var o20 = new KvSegment(config, KvDataType.BF16);
                using var o60 = new KvSegment(config, KvDataType.BF16);
                f.Forward(segA, posA, [], a, LogitsMode.None);
                f.Forward(segB, posB, [a], b, LogitsMode.None);
                Report($"modular 45 rows, {name}", LogitCompare.Of(f.Forward(queryIds, posQ, [a, b], o, LogitsMode.All).Logits, cpuModular, config.VocabSize));
                Report($"decode step, {name}", LogitCompare.Of(f.Forward([queryIds[0]], [posQ[^1] + 1], [a, b], o, LogitsMode.All).Logits, cpuDecode, config.VocabSize));
                Report($"suffix 20 rows, {name}", LogitCompare.Of(f.Forward(query20, pos20, [a, b], o20, LogitsMode.All).Logits, cpu20, config.VocabSize));
                Report($"suffix 60 rows, {name}", LogitCompare.Of(f.Forward(query60, pos60, [a, b], o60, LogitsMode.All).Logits, cpu60, config.VocabSize));
                if (cuda.SkinnyKernelError is { } se) Error($"{name}: skinny kernel fell back to cuBLAS", new InvalidOperationException(se));
                if (options.SkinnyVariant == SkinnyKernelVariant.Wgmma && cuda.Device.ComputeCapability is { Major: 9, Minor: 0 })
                {
                    if (cuda.SkinnyWgmmaError is { } we) Error($"{name}: the wgmma skinny GEMM fell back", new InvalidOperationException(we));
                    else if (cuda.SkinnyWgmmaLaunches == 0) Error($"{name}: the wgmma skinny GEMM never ran", new InvalidOperationException("no launch"));
                    else wgmmaRan = true;
                    if (cuda.DependentLaunchError is { } de) Error($"{name}: dependent launches fell back", new InvalidOperationException(de));
                }
                if (options.WarpSpecializedShortQueries && !headDim64 && cuda.Device.ComputeCapability is { Major: 9, Minor: 0 } && cuda.ShortQueryWsLaunches == 0)
                    Error($"{name}: the warp-specialised kernel never took a short query", new InvalidOperationException(cuda.WgmmaAttentionError ?? cuda.TmaAttentionError ?? "no launch"));
                foreach (string line in cuda.SkinnyTuneLog.Concat(cuda.AttentionTuneLog)) Console.WriteLine($"        {line}");
                if (cuda.FusedNormError is { } fe) Error($"{name}: fused add+norm fell back", new InvalidOperationException(fe));
                if (options.FusedGroupGemm)
                {
                    foreach (string line in cuda.FusedGroupLog) Console.WriteLine($"        {line}");
                    if (cuda.FusedGroupError is { } ge) Error($"{name}: fused group GEMM fell back", new InvalidOperationException(ge));
                    // A check that never fused would pass without testing anything.
                    else if (!cuda.FusedGroupLog.Any(l => l.Contains("one GEMM", StringComparison.Ordinal)))
                        Error($"{name}: no group was fused", new InvalidOperationException(string.Join("; ", cuda.FusedGroupLog)));
                }
            }
            catch (Exception e)
            {
                Error(name, e);
            }
            if (Failures != failuresBefore)
            {
                if (options.FusedGroupGemm)
                {
                    FusedGroupPassed = false;
                    continue;
                }
                if (options.TuneAttentionSplits) TunedSplitsPassed = false;
                if (skinny) SkinnyKernelPassed = false;
                if (options.SkinnyVariant == SkinnyKernelVariant.Wgmma) wgmmaFailed = true;
                if (options.WarpSpecializedShortQueries) WsShortQueriesPassed = false;
                if (fused) FusedNormPassed = false;
            }
        }
        SkinnyWgmmaPassed = wgmmaRan && !wgmmaFailed;
        beforeUploadChecks?.Invoke();

        // Segments computed on the CPU and uploaded by the CUDA backend on first use: f32 (converted on
        // the device, loaded before use) and bf16 (layer-wise on the copy stream, pageable and pinned).
        foreach (var (type, pin) in new[] { (KvDataType.F32, false), (KvDataType.BF16, false), (KvDataType.BF16, true) })
        {
            string name = $"CUDA over CPU-computed {type} segments{(pin ? ", pinned" : "")}";
            try
            {
                using var cuda = new CudaBackend(new CudaBackendOptions { KvHostWriteBack = false });
                using var f = LlamaModel.FromWeights(config, host.Weights, cuda);
                using var a = new KvSegment(config, type);
                using var b = new KvSegment(config, type);
                using var o = new KvSegment(config);
                cpuForward.Forward(segA, posA, [], a, LogitsMode.None);
                cpuForward.Forward(segB, posB, [a], b, LogitsMode.None);
                bool pinnedA = pin && cuda.PinHostMemory(a), pinnedB = pin && cuda.PinHostMemory(b);
                Report(name, LogitCompare.Of(f.Forward(queryIds, posQ, [a, b], o, LogitsMode.All).Logits, cpuModular, config.VocabSize));
                if (pinnedA) cuda.UnpinHostMemory(a);
                if (pinnedB) cuda.UnpinHostMemory(b);
            }
            catch (Exception e)
            {
                Error(name, e);
            }
        }
    }

    private static int[] Ints(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetInt32()).ToArray();

    private static float[] Logits(JsonElement e) =>
        e.GetProperty("logits").EnumerateArray().SelectMany(row => row.EnumerateArray().Select(x => (float)x.GetDouble())).ToArray();
}
