using PromptCache.Cuda.Backend;
using PromptCache.Engine.Synthetic;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cuda.Tests;

/// <summary>
/// On a GPU: a prefill's fused paths give the CPU backend's logits, and those of their parts on the same backend up to the
/// order of the f32 sums: the gate/up GEMMs with SiLU·mul in their epilogue (<see cref="CudaBackendOptions.FusedSwiGluGemm"/>)
/// and its clusters of two blocks (<see cref="CudaBackendOptions.PairedSwiGluGemm"/>, to the bit), the residual added inside
/// the output and down projections (<see cref="CudaBackendOptions.ResidualInGemm"/>), and the attention's K/V tiles copied
/// by the copy engine (<see cref="CudaBackendOptions.TmaAttentionLoads"/>), the attention's persistent blocks
/// (<see cref="CudaBackendOptions.PersistentAttention"/>) and its 128-key steps (<see cref="CudaBackendOptions.WideKeySteps"/>).
/// </summary>
[Collection(CudaDeviceCollection.Name)]
public sealed class GpuPrefillFusionTests
{
    // FFN 1000: a multiple of 8 but not of the kernel's 128-column tile, so the last tile is partial.
    internal static readonly SyntheticShape Shape = new("swiglu-gemm", 512, 2, 4, 2, 1000);

    // 200 rows: two 128-row tiles, the second partial; 65: the fewest rows a prefill GEMM has (above the skinny path's 64).
    [CudaTheory]
    [InlineData(200)]
    [InlineData(65)]
    public void The_swiglu_gemm_gives_the_cpu_logits_and_those_of_cublas_and_silu_mul(int tokens)
    {
        using var run = FusedAndApart(tokens, b => b.SwiGluGemmCalls, b => b.FusedSwiGluOverride = false);
        // The same values rounded once to bf16; only an ulp of a few SwiGLU outputs may differ.
        run.AssertAgree("SwiGLU GEMM", "cuBLAS + silu_mul");
        // One launch per layer on Hopper, where the kernel is built; none elsewhere.
        Assert.True(run.Backend.SwiGluGemmError is null, run.Backend.SwiGluGemmError);
        Assert.Equal(run.Hopper ? Shape.LayerCount : 0, run.Launches);
    }

    // 300 rows: three row tiles, so the second cluster's second block has rows past the end (read as zeros, not stored);
    // 65: one row tile, the same in the only cluster.
    [CudaTheory]
    [InlineData(300)]
    [InlineData(65)]
    public void The_paired_swiglu_gemm_gives_the_logits_of_one_block_per_tile_to_the_bit(int tokens)
    {
        using var run = FusedAndApart(tokens, b => b.PairedSwiGluGemmCalls, b => b.PairedSwiGluOverride = false);
        // The same tiles with the same arithmetic: only where the weights' halves come from differs.
        Assert.True(run.Fused.AsSpan().SequenceEqual(run.Apart), "the paired kernel must give the bits of the unpaired one");
        GpuParityTests.AssertClose(run.Cpu, run.Fused, run.Vocab, "paired SwiGLU GEMM vs CPU");
        Assert.True(run.Backend.PairedSwiGluError is null, run.Backend.PairedSwiGluError);
        Assert.Equal(run.Hopper ? Shape.LayerCount : 0, run.Launches);
    }

    [CudaTheory]
    [InlineData(200)]
    [InlineData(65)]
    public void The_residual_added_in_the_gemm_gives_the_cpu_logits_and_those_of_an_add_after_it(int tokens)
    {
        using var run = FusedAndApart(tokens, b => b.ResidualGemms, b => b.ResidualInGemmOverride = false);
        run.AssertAgree("residual in the GEMM", "an add after it");
        Assert.Equal(2 * Shape.LayerCount, run.Launches); // the output and down projections of every layer
    }

    [CudaTheory]
    [InlineData(200)]
    [InlineData(65)]
    public void The_attention_with_copy_engine_loads_gives_the_cpu_logits_and_those_of_cp_async_loads(int tokens)
    {
        // Head dimension 128 (512 / 4): a prefill takes the warp-specialised kernel, one launch per layer.
        using var run = FusedAndApart(tokens, b => b.TmaAttentionLaunches, b => b.TmaAttentionOverride = false);
        run.AssertAgree("TMA K/V loads", "cp.async loads");
        Assert.True(run.Backend.TmaAttentionError is null, run.Backend.TmaAttentionError);
        Assert.Equal(run.Hopper ? Shape.LayerCount : 0, run.Launches);
    }

    // 150 rows: the second row block sees three 64-key tiles, so its second step has no second tile (read as zeros, masked);
    // 65: one step whose second tile holds one key.
    [CudaTheory]
    [InlineData(150)]
    [InlineData(65)]
    public void The_128_key_attention_steps_give_the_cpu_logits_and_those_of_64_key_steps(int tokens)
    {
        using var run = FusedAndApart(tokens, b => b.WideKeyStepLaunches, b => b.WideKeyStepsOverride = false);
        run.AssertAgree("128-key steps", "64-key steps");
        Assert.Equal(run.Hopper ? Shape.LayerCount : 0, run.Launches);
    }

    // 16 heads × 2000 rows (16 blocks of 128 rows, the last partial) = 256 attention items, more than an H100's 132 SMs.
    private static readonly SyntheticShape ManyItemsShape = new("persistent-attention", 2048, 2, 16, 4, 1024, WeightType: SyntheticWeightType.BF16);
    private const int ManyItemsRows = 2000;

    // Most persistent blocks take two items or more. No CPU run: the block-per-item kernel is checked against it above.
    [CudaFact]
    public void The_persistent_attention_gives_the_logits_of_a_block_per_item_to_the_bit()
    {
        string folder = SyntheticCheckpoint.Ensure(ManyItemsShape);
        using var backend = new CudaBackend(new CudaBackendOptions { KvHostWriteBack = false, TunePrefillAttention = false });
        using var model = LlamaModel.Load(folder, backend);
        float[] persistent = Run(model, ManyItemsRows);
        long launches = backend.PersistentAttentionLaunches;
        backend.PersistentAttentionOverride = false;
        float[] blockPerItem = Run(model, ManyItemsRows);
        Assert.True(persistent.AsSpan().SequenceEqual(blockPerItem), "the same items with the same arithmetic must give the same bits");
        Assert.True(IsHopper(backend) ? launches >= 2 : launches == 0, $"{launches} persistent launches"); // one per layer (and prefill chunk) on Hopper
        Assert.Equal(launches, backend.PersistentAttentionLaunches);
    }

    // The prefill kernel timed per shape class: the timing runs write the same output as the chosen kernel's own run, so the
    // logits are those of one of the two kernels pinned, to the bit; the choice is logged (on Hopper, where both exist).
    [CudaFact]
    public void The_timed_prefill_kernel_gives_the_logits_of_the_kernel_it_chose()
    {
        string folder = SyntheticCheckpoint.Ensure(ManyItemsShape);
        using var backend = new CudaBackend(new CudaBackendOptions { KvHostWriteBack = false });
        using var model = LlamaModel.Load(folder, backend);
        float[] timed = Run(model, ManyItemsRows);
        var log = backend.AttentionTuneLog.Where(line => line.StartsWith("prefill attention", StringComparison.Ordinal)).ToArray();
        backend.WarpSpecializedAttentionOverride = true;
        float[] warpSpecialized = Run(model, ManyItemsRows);
        backend.WarpSpecializedAttentionOverride = false;
        float[] twoGroups = Run(model, ManyItemsRows);
        Assert.Equal(IsHopper(backend) ? 1 : 0, log.Length); // one shape class: both layers' calls share it
        bool choseWarpSpecialized = log.Length == 0 || log[0].EndsWith("-> warp-specialised", StringComparison.Ordinal);
        Assert.True(timed.AsSpan().SequenceEqual(choseWarpSpecialized ? warpSpecialized : twoGroups), string.Join("; ", log));
    }

    // The prompt on the CPU, then on one CUDA backend with the fused path (counting its launches) and without it.
    private static FusionRun FusedAndApart(int tokens, Func<CudaBackend, long> launches, Action<CudaBackend> switchOff)
    {
        string folder = SyntheticCheckpoint.Ensure(Shape);
        float[] cpu;
        using (var cpuModel = LlamaModel.Load(folder, CpuBackend.Instance)) cpu = Run(cpuModel, tokens);
        // The kernel the options name, not the one the prefill timing would pick for the shape.
        var backend = new CudaBackend(new CudaBackendOptions { KvHostWriteBack = false, TunePrefillAttention = false });
        try
        {
            using var model = LlamaModel.Load(folder, backend);
            long before = launches(backend);
            float[] fused = Run(model, tokens);
            long count = launches(backend) - before;
            switchOff(backend);
            float[] apart = Run(model, tokens);
            return new FusionRun(backend, model.Config.VocabSize, cpu, fused, apart, count);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    private sealed record FusionRun(CudaBackend Backend, int Vocab, float[] Cpu, float[] Fused, float[] Apart, long Launches) : IDisposable
    {
        public bool Hopper => IsHopper(Backend);

        public void Dispose() => Backend.Dispose();

        public void AssertAgree(string fused, string apart)
        {
            GpuParityTests.AssertClose(Cpu, Fused, Vocab, $"{fused} vs CPU");
            GpuParityTests.AssertClose(Cpu, Apart, Vocab, $"{apart} vs CPU");
            AssertNearlySame(Apart, Fused, $"{fused} vs {apart}");
        }
    }

    // Where the wgmma kernels (and so the paths under test) exist.
    internal static bool IsHopper(CudaBackend backend) => backend.Device.ComputeCapability is { Major: 9, Minor: 0 };

    internal static void AssertNearlySame(float[] expected, float[] actual, string what)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            diff += (actual[i] - expected[i]) * (double)(actual[i] - expected[i]);
            norm += expected[i] * (double)expected[i];
        }
        Assert.True(Math.Sqrt(diff / norm) < 1e-3, $"{what}: relative L2 {Math.Sqrt(diff / norm):0.000e+00}");
    }

    internal static float[] Run(LlamaModel model, int tokens)
    {
        var rng = new Random(11);
        int[] ids = Enumerable.Range(0, tokens).Select(_ => rng.Next(model.Config.VocabSize)).ToArray();
        return model.Forward(ids, Enumerable.Range(0, tokens).ToArray(), [], null, LogitsMode.All).Logits;
    }
}
