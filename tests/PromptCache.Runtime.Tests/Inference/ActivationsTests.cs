using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Models;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>
/// The forward chunk's scratch layout: the attention buffers and the SwiGLU buffers may share memory
/// (each half of a layer is done before the other starts), but nothing live at the same time may.
/// </summary>
public sealed unsafe class ActivationsTests
{
    public static TheoryData<int, int, int, int, int, int> Shapes => new()
    {
        // d, heads, kv heads, head dim, ffn, tokens
        { 768, 12, 12, 64, 2048, 512 },   // Llama-110M: the FFN half is the larger one
        { 2048, 32, 4, 64, 5632, 7 },     // TinyLlama (GQA), an odd chunk
        { 64, 4, 2, 16, 32, 3 },          // Qwen3-like head_dim, FFN narrower than attention
        { 8, 2, 1, 4, 24, 1 },            // a decode step of a tiny model
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Buffers_live_at_the_same_time_never_overlap_and_all_fit_in_the_block(int d, int heads, int kvHeads, int headDim, int ffn, int n)
    {
        var c = new ModelConfig("llama", d, 1, heads, kvHeads, headDim, ffn, 32, 1e-5f, new RopeSettings(10000), RopeStyle.Halves,
            AttentionBias: false, QkNorm: false, TiedEmbeddings: true, ContextLength: 4096);
        using var act = new Activations(CpuBackend.Instance, n, c);
        var x = Span(act.X, (long)n * d);
        var xb = Span(act.Xb, (long)n * d);
        var q = Span(act.Q, (long)n * c.QueryDim);
        var k = Span(act.K, (long)n * c.KvDim);
        var v = Span(act.V, (long)n * c.KvDim);
        var att = Span(act.Att, (long)n * c.QueryDim);
        var gate = Span(act.Gate, (long)n * ffn);
        var up = Span(act.Up, (long)n * ffn);

        // Live together in the attention half, and in the feed-forward half.
        AssertDisjoint([x, xb, q, k, v, att]);
        AssertDisjoint([x, xb, gate, up]);

        var block = Span(act.X, act.Floats);
        foreach (var (start, end) in new[] { x, xb, q, k, v, att, gate, up })
        {
            Assert.True(start >= block.Start && end <= block.End, "a view lies outside the allocation");
            Assert.Equal(0L, start % 64); // as aligned as a separate 64-byte aligned allocation
        }

        // The sharing is what saves memory: at most the larger half plus the residuals, and alignment padding.
        long attention = 2L * n * c.QueryDim + 2L * n * c.KvDim, feedForward = 2L * n * ffn;
        Assert.True(act.Floats <= 2L * n * d + Math.Max(attention, feedForward) + 6 * 16,
            $"{act.Floats} floats allocated for a chunk of {n} tokens");
    }

    private static (long Start, long End) Span(float* p, long floats) => ((long)p, (long)p + floats * sizeof(float));

    private static void AssertDisjoint((long Start, long End)[] ranges)
    {
        for (int i = 0; i < ranges.Length; i++)
            for (int j = i + 1; j < ranges.Length; j++)
                Assert.True(ranges[i].End <= ranges[j].Start || ranges[j].End <= ranges[i].Start, $"buffers {i} and {j} overlap");
    }
}
