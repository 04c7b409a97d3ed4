using System.Runtime.Intrinsics;
using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Inference;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>
/// The split-K decode attention (1–4 query tokens) against a two-pass softmax in double precision:
/// every storage type, MHA and GQA, odd key counts, forced key-range splits, mixed-type blocks.
/// </summary>
public sealed unsafe class DecodeAttentionTests
{
    [Theory]
    [InlineData(1, 12, 12, 64, KvDataType.F16, 2048, 1)]  // 110M decode shape, one range per head
    [InlineData(1, 12, 12, 64, KvDataType.F16, 2047, 3)]  // odd length, three ranges per head
    [InlineData(1, 32, 4, 64, KvDataType.F16, 1000, 2)]   // TinyLlama decode shape: GQA 8 rows, transposed path
    [InlineData(1, 32, 4, 64, KvDataType.BF16, 333, 5)]   // more ranges than full chunks
    [InlineData(1, 8, 2, 128, KvDataType.F32, 129, 2)]    // head_dim 128, f32 read in place
    [InlineData(2, 4, 4, 80, KvDataType.F16, 17, 1)]      // head_dim 80 (not a multiple of 64), 2 rows direct
    [InlineData(3, 6, 2, 48, KvDataType.BF16, 65, 2)]     // 3 tokens x 3 heads = 9 rows, padded to 12
    [InlineData(4, 2, 1, 16, KvDataType.F16, 15, 1)]      // head_dim 16, fewer keys than one shuffle group
    [InlineData(1, 3, 3, 32, KvDataType.F16, 1, 1)]       // no cached keys at all
    [InlineData(17, 4, 2, 64, KvDataType.F16, 300, 2)]    // a short suffix: causal rows differ per chunk
    [InlineData(32, 32, 4, 64, KvDataType.F16, 700, 0)]   // the engine's cached call on the TinyLlama shape (256 rows per head)
    [InlineData(64, 12, 12, 64, KvDataType.BF16, 129, 3)] // MHA, the most query tokens this path takes
    public void Matches_a_double_precision_softmax(int m, int heads, int kvHeads, int headDim, KvDataType type, int cachedTokens, int splits)
    {
        if (!Vector512.IsHardwareAccelerated) return; // the path is AVX-512 only; CpuAttentionTests cover the others
        var rng = new Random(11 + cachedTokens);
        float[] Random(int n, double range) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * range)).ToArray();
        int kvDim = kvHeads * headDim;
        int own = 5 + m;
        using var cached = new KvSegment(1, kvHeads, headDim, type, Math.Max(cachedTokens, 1));
        using var mine = new KvSegment(1, kvHeads, headDim, KvDataType.F32, own);
        float[] ck = Random(cachedTokens * kvDim, 2), cv = Random(cachedTokens * kvDim, 2), ok = Random(own * kvDim, 2), ov = Random(own * kvDim, 2);
        fixed (float* a = ck, b = cv) CpuBackend.Instance.StoreKv(cached, 0, 0, a, b, cachedTokens);
        fixed (float* a = ok, b = ov) CpuBackend.Instance.StoreKv(mine, 0, 0, a, b, own);
        float[] storedK = ReadBack(cached, true, cachedTokens), storedV = ReadBack(cached, false, cachedTokens);
        // Scores of a few units, so the softmax is neither flat nor one-hot.
        float[] q = Random(m * heads * headDim, 3);
        KvBlock[] blocks = [new(cached, cachedTokens, false), new(mine, 5, true)];
        // Work items of every kv head of a token range (the default), one head, and two heads.
        foreach (int headsPerItem in new[] { 0, 1, 2 })
        {
            var output = new float[q.Length];
            fixed (float* qp = q, op = output) DecodeAttention.Run(qp, m, heads, blocks, 0, op, splits, headsPerItem);
            double worst = Worst(q, output, m, heads, kvHeads, headDim, cachedTokens, storedK, storedV, ok, ov);
            // f32 accumulation over ≤ 2k keys of |v| ≤ 2 with weights summing to 1: errors ~1e-6.
            Assert.True(worst < 2e-5, $"decode attention ({headsPerItem} heads per item) differs from the reference by {worst}");
        }
    }

    [Fact]
    public void Large_queries_take_the_exact_f16_read_and_stay_correct()
    {
        if (!Vector512.IsHardwareAccelerated) return;
        const int heads = 4, kvHeads = 2, headDim = 32, tokens = 100;
        var rng = new Random(3);
        int kvDim = kvHeads * headDim;
        using var seg = new KvSegment(1, kvHeads, headDim, KvDataType.F16, tokens + 1);
        // Keys small so that the scores stay moderate although the queries exceed 2^14·√d.
        float[] k = Enumerable.Range(0, (tokens + 1) * kvDim).Select(_ => (float)(rng.NextDouble() - 0.5) * 1e-4f).ToArray();
        float[] v = Enumerable.Range(0, (tokens + 1) * kvDim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        fixed (float* a = k, b = v) CpuBackend.Instance.StoreKv(seg, 0, 0, a, b, tokens + 1);
        float[] storedK = ReadBack(seg, true, tokens + 1), storedV = ReadBack(seg, false, tokens + 1);
        float[] q = Enumerable.Range(0, heads * headDim).Select(_ => (float)(rng.NextDouble() * 2 - 1) * 2e5f).ToArray();
        var output = new float[q.Length];
        KvBlock[] blocks = [new(seg, tokens, true)];
        fixed (float* qp = q, op = output) DecodeAttention.Run(qp, 1, heads, blocks, 0, op, 2);
        double worst = Worst(q, output, 1, heads, kvHeads, headDim, tokens + 1, storedK, storedV, [], []);
        Assert.True(worst < 2e-5, $"differs by {worst}");
    }

    [Fact]
    public void Fast_f16_read_equals_exact_conversion_bit_for_bit()
    {
        if (!Vector512.IsHardwareAccelerated) return;
        // Every finite half, 16 at a time: loaded 2^-112 too small, times 2^112, equals the exact value.
        var halves = new ushort[65536];
        for (int i = 0; i < halves.Length; i++) halves[i] = (ushort)i;
        fixed (ushort* h = halves)
        {
            for (int i = 0; i < halves.Length; i += 16)
            {
                var fast = F16ScaledKv.Load16((byte*)h, i) * Vector512.Create(F16ScaledKv.Scale);
                for (int j = 0; j < 16; j++)
                {
                    float expected = (float)BitConverter.UInt16BitsToHalf(h[i + j]);
                    if (!float.IsFinite(expected)) continue; // inf/NaN read as finite (documented)
                    Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(fast.GetElement(j)));
                }
            }
        }
    }

    [Fact]
    public void Sixteen_horizontal_sums_come_out_in_key_order()
    {
        if (!Vector512.IsHardwareAccelerated) return;
        var t = new Vector512<float>[16];
        var expected = new float[16];
        for (int j = 0; j < 16; j++)
        {
            // Distinct powers of two per lane and key: any mis-routed lane changes the sum exactly.
            var lanes = new float[16];
            for (int l = 0; l < 16; l++) lanes[l] = (j + 1) * 1000 + l * 0.5f;
            t[j] = Vector512.Create(lanes);
            expected[j] = lanes.Sum();
        }

        var s = ScoreReduction.Reduce16(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12], t[13], t[14], t[15]);
        for (int j = 0; j < 16; j++) Assert.Equal(expected[j], s.GetElement(j), 3);
    }

    private static double Worst(float[] q, float[] output, int m, int heads, int kvHeads, int headDim, int cachedTokens,
        float[] storedK, float[] storedV, float[] ok, float[] ov)
    {
        int kvDim = kvHeads * headDim;
        double worst = 0;
        for (int i = 0; i < m; i++)
        for (int h = 0; h < heads; h++)
        {
            int g = h / (heads / kvHeads);
            var keys = new List<(int Offset, float[] K, float[] V)>();
            for (int j = 0; j < cachedTokens; j++) keys.Add((j * kvDim + g * headDim, storedK, storedV));
            if (ok.Length > 0)
                for (int j = 0; j < 5 + i + 1; j++) keys.Add((j * kvDim + g * headDim, ok, ov));
            double[] scores = keys.Select(kv =>
            {
                double dot = 0;
                for (int d = 0; d < headDim; d++) dot += (double)kv.K[kv.Offset + d] * q[(i * heads + h) * headDim + d];
                return dot / Math.Sqrt(headDim);
            }).ToArray();
            double mx = scores.Max();
            double[] p = scores.Select(s => Math.Exp(s - mx)).ToArray();
            double total = p.Sum();
            for (int d = 0; d < headDim; d++)
            {
                double expected = 0;
                for (int j = 0; j < keys.Count; j++) expected += p[j] / total * keys[j].V[keys[j].Offset + d];
                worst = Math.Max(worst, Math.Abs(expected - output[(i * heads + h) * headDim + d]));
            }
        }

        return worst;
    }

    private static float[] ReadBack(KvSegment s, bool keys, int tokens)
    {
        int n = tokens * s.KvDim;
        var result = new float[n];
        byte* p = keys ? s.Keys(0) : s.Values(0);
        switch (s.DataType)
        {
            case KvDataType.F32: new ReadOnlySpan<float>(p, n).CopyTo(result); break;
            case KvDataType.F16: for (int i = 0; i < n; i++) result[i] = (float)((Half*)p)[i]; break;
            default: FloatConversions.BFloat16ToSingle(new ReadOnlySpan<ushort>(p, n), result); break;
        }
        return result;
    }
}
