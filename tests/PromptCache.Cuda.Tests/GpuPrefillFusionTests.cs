using PromptCache.Cuda.Backend;
using PromptCache.Engine.Synthetic;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cuda.Tests;

/// <summary>
/// On a GPU: a prefill's fused paths give the CPU backend's logits, and those of their parts on the same backend up to the
/// order of the f32 sums: the gate/up GEMMs with SiLU·mul in their epilogue (<see cref="CudaBackendOptions.FusedSwiGluGemm"/>),
/// and the residual added inside the output and down projections (<see cref="CudaBackendOptions.ResidualInGemm"/>).
/// </summary>
[Collection(CudaDeviceCollection.Name)]
public sealed class GpuPrefillFusionTests
{
    // FFN 1000: a multiple of 8 but not of the kernel's 128-column tile, so the last tile is partial.
    private static readonly SyntheticShape Shape = new("swiglu-gemm", 512, 2, 4, 2, 1000);

    // 200 rows: two 128-row tiles, the second partial; 65: the fewest rows a prefill GEMM has (above the skinny path's 64).
    [CudaTheory]
    [InlineData(200)]
    [InlineData(65)]
    public void The_swiglu_gemm_gives_the_cpu_logits_and_those_of_cublas_and_silu_mul(int tokens)
    {
        string folder = SyntheticCheckpoint.Ensure(Shape);
        using var cpuModel = LlamaModel.Load(folder, CpuBackend.Instance);
        float[] cpu = Run(cpuModel, tokens);

        using var backend = new CudaBackend(new CudaBackendOptions { KvHostWriteBack = false });
        using var model = LlamaModel.Load(folder, backend);
        long before = backend.SwiGluGemmCalls;
        float[] fused = Run(model, tokens);
        long launches = backend.SwiGluGemmCalls - before;
        backend.FusedSwiGluOverride = false;
        float[] apart = Run(model, tokens);

        int vocab = model.Config.VocabSize;
        GpuParityTests.AssertClose(cpu, fused, vocab, "SwiGLU GEMM vs CPU");
        GpuParityTests.AssertClose(cpu, apart, vocab, "cuBLAS + silu_mul vs CPU");
        // The same values rounded once to bf16; only an ulp of a few SwiGLU outputs may differ.
        AssertNearlySame(apart, fused, "SwiGLU GEMM vs cuBLAS + silu_mul");
        // One launch per layer on Hopper, where the kernel is built; none elsewhere.
        bool hopper = backend.Device.ComputeCapability is { Major: 9, Minor: 0 };
        Assert.True(backend.SwiGluGemmError is null, backend.SwiGluGemmError);
        Assert.Equal(hopper ? Shape.LayerCount : 0, launches);
    }

    [CudaTheory]
    [InlineData(200)]
    [InlineData(65)]
    public void The_residual_added_in_the_gemm_gives_the_cpu_logits_and_those_of_an_add_after_it(int tokens)
    {
        string folder = SyntheticCheckpoint.Ensure(Shape);
        using var cpuModel = LlamaModel.Load(folder, CpuBackend.Instance);
        float[] cpu = Run(cpuModel, tokens);

        using var backend = new CudaBackend(new CudaBackendOptions { KvHostWriteBack = false });
        using var model = LlamaModel.Load(folder, backend);
        long before = backend.ResidualGemms;
        float[] inGemm = Run(model, tokens);
        long launches = backend.ResidualGemms - before;
        backend.ResidualInGemmOverride = false;
        float[] after = Run(model, tokens);

        int vocab = model.Config.VocabSize;
        GpuParityTests.AssertClose(cpu, inGemm, vocab, "residual in the GEMM vs CPU");
        AssertNearlySame(after, inGemm, "residual in the GEMM vs after it");
        Assert.Equal(2 * Shape.LayerCount, launches); // the output and down projections of every layer
    }

    private static void AssertNearlySame(float[] expected, float[] actual, string what)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            diff += (actual[i] - expected[i]) * (double)(actual[i] - expected[i]);
            norm += expected[i] * (double)expected[i];
        }
        Assert.True(Math.Sqrt(diff / norm) < 1e-3, $"{what}: relative L2 {Math.Sqrt(diff / norm):0.000e+00}");
    }

    private static float[] Run(LlamaModel model, int tokens)
    {
        var rng = new Random(11);
        int[] ids = Enumerable.Range(0, tokens).Select(_ => rng.Next(model.Config.VocabSize)).ToArray();
        return model.Forward(ids, Enumerable.Range(0, tokens).ToArray(), [], null, LogitsMode.All).Logits;
    }
}
