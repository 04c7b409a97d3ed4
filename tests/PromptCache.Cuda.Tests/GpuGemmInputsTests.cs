using PromptCache.Cuda.Backend;
using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cuda.Tests;

/// <summary>
/// On a GPU: <see cref="CudaBackendOptions.Bf16GemmInputsOnly"/> changes which bytes are written, not what the
/// model computes; and a buffer kept only as the GEMM's bf16 copy still reads back right through the seam.
/// </summary>
[Collection(CudaDeviceCollection.Name)]
public sealed unsafe class GpuGemmInputsTests
{
    // Timed choices (GEMM algorithms, key splits) off, so that both backends run the same kernels.
    private static CudaBackendOptions Options(bool only) => new()
    {
        Bf16GemmInputsOnly = only,
        SkinnyGemm = SkinnyGemmPath.CublasGemmEx,
        TunedPrefillGemms = false,
        TuneAttentionSplits = false,
    };

    [CudaFact]
    public void Writing_only_the_bf16_inputs_leaves_the_logits_bit_for_bit_the_same()
    {
        string folder = GpuParityTests.FixtureFolder("llama");
        var (ids, positions, _) = GpuParityTests.PlainPrompt(folder);
        float[] Logits(bool only)
        {
            using var backend = new CudaBackend(Options(only));
            using var model = LlamaModel.Load(folder, backend);
            return model.Forward(ids, positions, [], null, LogitsMode.All).Logits;
        }
        Assert.Equal(Logits(only: false), Logits(only: true));
    }

    [CudaFact]
    public void A_norm_output_kept_only_in_bf16_reads_back_as_its_values_rounded_to_bf16()
    {
        string folder = GpuParityTests.FixtureFolder("llama");
        var (ids, _, _) = GpuParityTests.PlainPrompt(folder);
        float[] expected = NormOfEmbeddings(CpuBackend.Instance, folder, ids);
        using var cuda = new CudaBackend(Options(only: true));
        float[] actual = NormOfEmbeddings(cuda, folder, ids);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            // bf16 keeps 8 significant bits: one rounding is within 2^-8 of the value.
            float tolerance = MathF.Abs(expected[i]) / 256 + 1e-6f;
            Assert.True(MathF.Abs(actual[i] - expected[i]) <= tolerance, $"element {i}: {actual[i]} vs {expected[i]}");
        }
    }

    // RMSNorm(embedding rows) through the seam into a second buffer, then read back: on CUDA with
    // Bf16GemmInputsOnly the norm writes only the bf16 copy, and CopyToHost must widen it back first.
    private static float[] NormOfEmbeddings(IComputeBackend backend, string folder, int[] ids)
    {
        using var model = LlamaModel.Load(folder, backend);
        int d = model.Config.HiddenSize;
        float* x = backend.Allocate((long)ids.Length * d), y = backend.Allocate((long)ids.Length * d);
        try
        {
            backend.Embed(model.Weights.Embedding, ids, x);
            backend.RmsNorm(x, y, ids.Length, d, model.Weights.Layers[0].AttentionNorm, model.Config.RmsNormEps);
            var result = new float[ids.Length * d];
            backend.CopyToHost(y, result);
            return result;
        }
        finally
        {
            backend.Free(x);
            backend.Free(y);
        }
    }
}
