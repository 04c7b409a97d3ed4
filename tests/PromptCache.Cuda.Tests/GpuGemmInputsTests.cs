using PromptCache.Cuda.Backend;
using PromptCache.Runtime.Backends;
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
    public void A_norm_output_kept_only_in_bf16_reads_back_as_its_f32_values_rounded_to_bf16()
    {
        string folder = GpuParityTests.FixtureFolder("llama");
        var (ids, _, _) = GpuParityTests.PlainPrompt(folder);
        float[] f32, widened;
        using (var full = new CudaBackend(Options(only: false))) f32 = NormOfEmbeddings(full, folder, ids);
        using (var only = new CudaBackend(Options(only: true))) widened = NormOfEmbeddings(only, folder, ids);
        Assert.Equal(f32.Length, widened.Length);
        // The same kernel computes each value in f32 and rounds it to nearest even for the bf16 copy.
        for (int i = 0; i < f32.Length; i++) Assert.Equal(RoundToBf16(f32[i]), widened[i]);
        Assert.Contains(Enumerable.Range(0, f32.Length), i => widened[i] != f32[i]); // the bf16-only path ran
    }

    private static float RoundToBf16(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        bits += 0x7fffu + ((bits >> 16) & 1u);
        return BitConverter.UInt32BitsToSingle(bits & 0xffff0000u);
    }

    // RMSNorm(embedding rows) through the seam into a second buffer, then read back: with Bf16GemmInputsOnly
    // the norm writes only the bf16 copy, and CopyToHost must widen it back first.
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
