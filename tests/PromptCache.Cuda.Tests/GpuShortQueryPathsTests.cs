using PromptCache.Cuda.Backend;
using PromptCache.Engine.Synthetic;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cuda.Tests;

/// <summary>
/// On a GPU: short prompts (what a cached call's new tokens and a decode step look like) through the Hopper paths for
/// them give the CPU backend's logits, and those of the default paths up to the order of the f32 sums: the skinny GEMM
/// on TMA and wgmma (<see cref="SkinnyKernelVariant.Wgmma"/>), as programmatic dependent launches
/// (<see cref="CudaBackendOptions.DependentLaunches"/>) or plain ones, and the warp-specialised attention kernel
/// (<see cref="CudaBackendOptions.WarpSpecializedShortQueries"/>). Elsewhere than on Hopper both fall back, and the same
/// logits are asked for.
/// </summary>
[Collection(CudaDeviceCollection.Name)]
public sealed class GpuShortQueryPathsTests
{
    // The prefill fusion tests' model (head dimension 128: 512 / 4 heads). FFN 1000: the gate/up outputs end in a partial
    // 128-row tile, rows of 1000 floats take the 4-float atomics, and the down projection's k of 1000 ends in a partial
    // 64-column step. Groups of three members (q, k, v of 512, 256, 256 rows).
    private static readonly SyntheticShape Shape = GpuPrefillFusionTests.Shape;

    // 1 row: the 8-token tile (decode); 45: the 48-token tile (a cached call's suffix); 64: the largest.
    [CudaTheory]
    [InlineData(1)]
    [InlineData(45)]
    [InlineData(64)]
    public void The_wgmma_skinny_gemm_gives_the_cpu_logits_and_those_of_cublas(int tokens)
    {
        float[] cublas;
        using (var backend = new CudaBackend(new CudaBackendOptions { KvHostWriteBack = false, SkinnyGemm = SkinnyGemmPath.CublasGemmEx, FusedGroupGemm = false }))
        using (var model = LlamaModel.Load(SyntheticCheckpoint.Ensure(Shape), backend))
            cublas = GpuPrefillFusionTests.Run(model, tokens);
        // FusedGroupGemm stays on (the default): a group is still one launch of the kernel, over the members' own weights.
        var run = OnAndOff(new CudaBackendOptions { KvHostWriteBack = false, SkinnyGemm = SkinnyGemmPath.Kernel, SkinnyVariant = SkinnyKernelVariant.Wgmma },
            tokens, b => b.SkinnyWgmmaLaunches, b => b.DependentLaunchesOverride = false);
        Assert.True(run.Error is null, run.Error);
        // Every GEMM of the forward: per layer q/k/v (one launch once the backend has learned the group, three before),
        // o, gate/up (one or two) and down, and the head.
        Assert.True(run.Hopper ? run.Launches >= 4 * Shape.LayerCount + 1 : run.Launches == 0, $"{run.Launches} launches");
        GpuParityTests.AssertClose(run.Cpu, run.On, Shape.VocabSize, "wgmma skinny GEMM vs CPU");
        GpuParityTests.AssertClose(run.Cpu, run.Off, Shape.VocabSize, "wgmma skinny GEMM, plain launches, vs CPU");
        GpuParityTests.AssertClose(run.Cpu, cublas, Shape.VocabSize, "cublasGemmEx vs CPU");
        if (tokens == 1)
        {
            // The same products summed in another order (partial tiles added by atomics in any order): ~1e-7 apart.
            GpuPrefillFusionTests.AssertNearlySame(cublas, run.On, "wgmma skinny GEMM vs cublasGemmEx");
            GpuPrefillFusionTests.AssertNearlySame(run.Off, run.On, "dependent vs plain launches");
        }
        else
        {
            // Over several tokens this random model's attention turns f32 rounding noise into logit differences of a few
            // 1e-3 (H100, s17-2: the wgmma kernel against itself run twice 1.8–2.5e-3, the Rows64 kernel against cuBLAS
            // 2.6–3.4e-3, at 8–64 tokens), so the paths are held to the bf16 tolerance against each other as well.
            GpuParityTests.AssertClose(cublas, run.On, Shape.VocabSize, "wgmma skinny GEMM vs cublasGemmEx");
            GpuParityTests.AssertClose(run.Off, run.On, Shape.VocabSize, "dependent vs plain launches");
        }
    }

    // The default SkinnyGemmPath.Auto: the wgmma kernel on Hopper (and nowhere else), with the CPU's logits.
    [CudaFact]
    public void The_default_skinny_path_is_the_wgmma_kernel_on_hopper()
    {
        string folder = SyntheticCheckpoint.Ensure(Shape);
        float[] cpu;
        using (var cpuModel = LlamaModel.Load(folder, CpuBackend.Instance)) cpu = GpuPrefillFusionTests.Run(cpuModel, 45);
        using var backend = new CudaBackend(new CudaBackendOptions { KvHostWriteBack = false });
        using var model = LlamaModel.Load(folder, backend);
        float[] logits = GpuPrefillFusionTests.Run(model, 45);
        Assert.True(backend.SkinnyWgmmaError is null, backend.SkinnyWgmmaError);
        Assert.Equal(GpuPrefillFusionTests.IsHopper(backend), backend.SkinnyWgmmaLaunches > 0);
        GpuParityTests.AssertClose(cpu, logits, Shape.VocabSize, "default skinny path vs CPU");
    }

    // 1 row: a decode step; 45 and 64: suffixes.
    [CudaTheory]
    [InlineData(1)]
    [InlineData(45)]
    [InlineData(64)]
    public void The_warp_specialised_kernel_gives_short_queries_the_cpu_logits(int tokens)
    {
        // cuBLASLt's skinny GEMMs, not the Hopper default's atomics: run to run, only the attention kernel differs.
        var run = OnAndOff(new CudaBackendOptions { KvHostWriteBack = false, WarpSpecializedShortQueries = true, SkinnyGemm = SkinnyGemmPath.CublasLtTuned },
            tokens, b => b.ShortQueryWsLaunches, b => b.WarpSpecializedShortQueriesOverride = false);
        Assert.True(run.Error is null, run.Error);
        Assert.True(run.Hopper ? run.Launches >= Shape.LayerCount : run.Launches == 0, $"{run.Launches} launches");
        GpuParityTests.AssertClose(run.Cpu, run.On, Shape.VocabSize, "warp-specialised short queries vs CPU");
        GpuPrefillFusionTests.AssertNearlySame(run.Off, run.On, "warp-specialised vs one-warpgroup kernel");
    }

    // The prompt on the CPU, then on one CUDA backend with the path on (counting its launches) and switched off.
    private static OnOffRun OnAndOff(CudaBackendOptions options, int tokens, Func<CudaBackend, long> launches, Action<CudaBackend> switchOff)
    {
        string folder = SyntheticCheckpoint.Ensure(Shape);
        float[] cpu;
        using (var cpuModel = LlamaModel.Load(folder, CpuBackend.Instance)) cpu = GpuPrefillFusionTests.Run(cpuModel, tokens);
        using var backend = new CudaBackend(options);
        using var model = LlamaModel.Load(folder, backend);
        float[] on = GpuPrefillFusionTests.Run(model, tokens);
        long count = launches(backend);
        switchOff(backend);
        float[] off = GpuPrefillFusionTests.Run(model, tokens);
        return new OnOffRun(cpu, on, off, count, GpuPrefillFusionTests.IsHopper(backend),
            backend.SkinnyWgmmaError ?? backend.DependentLaunchError ?? backend.WgmmaAttentionError ?? backend.TmaAttentionError);
    }

    private sealed record OnOffRun(float[] Cpu, float[] On, float[] Off, long Launches, bool Hopper, string? Error);
}
