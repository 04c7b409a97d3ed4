using PromptCache.Cuda.Backend;
using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cuda.Tests;

/// <summary>
/// On a GPU: <see cref="CudaBackendOptions.RopeInReaders"/> moves RoPE into the K/V store (and, on Hopper at head
/// dimensions 64/128, into the attention kernel), which changes which kernels run, not a single bit of the
/// result; and a q or k whose RoPE was left to its reader still reads back rotated through the seam.
/// </summary>
[Collection(CudaDeviceCollection.Name)]
public sealed unsafe class GpuRopeInReadersTests
{
    // Timed choices (GEMM algorithms, key splits) off, so that both backends run the same kernels.
    private static CudaBackendOptions Options(bool inReaders, bool hostWriteBack = false) => new()
    {
        RopeInReaders = inReaders,
        ValuesIntoSegment = false,
        KvHostWriteBack = hostWriteBack,
        SkinnyGemm = SkinnyGemmPath.CublasGemmEx,
        TunedPrefillGemms = false,
        TuneAttentionSplits = false,
    };

    [CudaTheory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    public void Rope_in_its_readers_leaves_the_logits_and_the_stored_keys_bit_for_bit_the_same(string name)
    {
        string folder = GpuParityTests.FixtureFolder(name);
        var (ids, positions, _) = GpuParityTests.PlainPrompt(folder);
        (float[] Logits, float[] Decode, byte[][] Layers) Run(bool inReaders)
        {
            using var backend = new CudaBackend(Options(inReaders));
            using var model = LlamaModel.Load(folder, backend);
            using var session = model.CreateSegment(KvDataType.BF16);
            float[] logits = model.Forward(ids, positions, [], session, LogitsMode.All).Logits;
            float[] decode = model.Forward([ids[0]], [positions[^1] + 1], [], session, LogitsMode.Last).Logits;
            backend.SaveToHost(session);
            return (logits, decode, GpuWriteBackTests.LayerBytes(session));
        }
        var apart = Run(inReaders: false);
        var inReaders = Run(inReaders: true);
        Assert.Equal(apart.Logits, inReaders.Logits);
        Assert.Equal(apart.Decode, inReaders.Decode);
        GpuWriteBackTests.AssertSameLayers(apart.Layers, inReaders.Layers);
    }

    [CudaFact]
    public void F32_rows_written_back_to_the_host_are_rotated()
    {
        // The f32 copy-back reads k itself, so the store cannot leave its rotation to the reader there.
        string folder = GpuParityTests.FixtureFolder("llama");
        var (ids, positions, _) = GpuParityTests.PlainPrompt(folder);
        byte[][] Layers(bool inReaders)
        {
            using var backend = new CudaBackend(Options(inReaders, hostWriteBack: true));
            using var model = LlamaModel.Load(folder, backend);
            using var segment = model.Prefill(ids, positions, dataType: KvDataType.F32);
            return GpuWriteBackTests.LayerBytes(segment);
        }
        GpuWriteBackTests.AssertSameLayers(Layers(inReaders: false), Layers(inReaders: true));
    }

    [CudaFact]
    public void A_deferred_rope_is_applied_before_its_rows_are_read_back()
    {
        string folder = GpuParityTests.FixtureFolder("llama");
        var (ids, positions, _) = GpuParityTests.PlainPrompt(folder);
        float[] Rotated(bool inReaders)
        {
            using var backend = new CudaBackend(Options(inReaders));
            using var model = LlamaModel.Load(folder, backend);
            var c = model.Config;
            int n = ids.Length, width = c.HeadCount * c.HeadDim;
            float* x = backend.Allocate((long)n * c.HiddenSize), q = backend.Allocate((long)n * width);
            try
            {
                backend.Embed(model.Weights.Embedding, ids, x);
                backend.MatMul(x, n, model.Weights.Layers[0].Query, q);
                backend.Rope(q, n, c.HeadCount, new RopeTable(positions, new RopeRows(c.Rope.InverseFrequencies(c.HeadDim))), c.RopeStyle);
                var result = new float[n * width];
                backend.CopyToHost(q, result);
                return result;
            }
            finally
            {
                backend.Free(x);
                backend.Free(q);
            }
        }
        float[] rotated = Rotated(inReaders: true);
        Assert.Equal(Rotated(inReaders: false), rotated);
    }

    [CudaFact]
    public void The_value_projection_written_into_the_segment_gives_the_logits_of_the_f32_path()
    {
        // Plain GEMMs (no group), so that the value projection is held for the store. cuBLAS writes its bf16 there
        // itself; with f32 output the store rounds the same sums, but cuBLAS may pick another kernel (another order
        // of the f32 sums) for the bf16 output, so a few values can differ by one bf16 step: far under the parity bar.
        string folder = GpuParityTests.FixtureFolder("llama");
        var (ids, positions, _) = GpuParityTests.PlainPrompt(folder);
        (float[] Logits, long Projected) Run(bool intoSegment)
        {
            using var backend = new CudaBackend(new CudaBackendOptions
            {
                ValuesIntoSegment = intoSegment, FusedGroupGemm = false, KvHostWriteBack = false,
                SkinnyGemm = SkinnyGemmPath.CublasGemmEx, TunedPrefillGemms = false, TuneAttentionSplits = false,
            });
            using var model = LlamaModel.Load(folder, backend);
            using var session = model.CreateSegment(KvDataType.BF16);
            float[] logits = model.Forward(ids, positions, [], session, LogitsMode.All).Logits;
            return (logits, backend.ValuesProjectedIntoSegments);
        }
        var apart = Run(intoSegment: false);
        var into = Run(intoSegment: true);
        Assert.Equal(0, apart.Projected);
        Assert.True(into.Projected > 0, "the value projection should have gone into the segment");
        double diff = 0, norm = 0;
        for (int i = 0; i < apart.Logits.Length; i++)
        {
            diff += Math.Pow(into.Logits[i] - apart.Logits[i], 2);
            norm += Math.Pow(apart.Logits[i], 2);
        }
        Assert.True(Math.Sqrt(diff / norm) < 1e-3, $"relative L2 {Math.Sqrt(diff / norm):e2}");
    }
}
