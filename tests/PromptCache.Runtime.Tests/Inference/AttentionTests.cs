using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Inference;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>The blocked online-softmax attention against a naive two-pass softmax, over every kernel path.</summary>
public sealed unsafe class AttentionTests
{
    [Theory]
    [InlineData(1, 4, 2, 64, KvDataType.F32)]   // decode, GQA: direct dots
    [InlineData(37, 4, 2, 64, KvDataType.F32)]  // prefill: transposed, register-blocked kernels
    [InlineData(37, 4, 2, 64, KvDataType.F16)]  // segments converted once per call
    [InlineData(1, 8, 2, 64, KvDataType.F16)]   // decode: segments converted chunk by chunk
    [InlineData(5, 2, 1, 32, KvDataType.BF16)]  // few rows, blocked kernels on converted chunks
    [InlineData(21, 3, 3, 80, KvDataType.BF16)] // head_dim not a multiple of 64; MHA
    [InlineData(9, 2, 1, 8, KvDataType.F32)]    // head_dim 8: scalar path
    public void Matches_a_naive_softmax(int m, int heads, int kvHeads, int headDim, KvDataType type)
    {
        var rng = new Random(5);
        int kvDim = kvHeads * headDim;
        using var cached = new KvSegment(1, kvHeads, headDim, type, 150);
        using var own = new KvSegment(1, kvHeads, headDim, KvDataType.F32, 10 + m);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        float[] ck = Random(150 * kvDim), cv = Random(150 * kvDim), ok = Random((10 + m) * kvDim), ov = Random((10 + m) * kvDim);
        fixed (float* a = ck, b = cv) CpuBackend.Instance.StoreKv(cached, 0, 0, a, b, 150);
        fixed (float* a = ok, b = ov) CpuBackend.Instance.StoreKv(own, 0, 0, a, b, 10 + m);
        cached.Commit(Enumerable.Range(0, 150).ToArray());
        // Read back what was stored (rounded to the storage type) for the reference.
        float[] storedK = ReadBack(cached, true), storedV = ReadBack(cached, false);
        float[] q = Random(m * heads * headDim);
        KvBlock[] blocks = [new(cached, 150, false), new(own, 10, true)];
        // The dispatching entry point, and the query-tiled path it uses above 64 rows forced for any m.
        foreach (bool tiled in new[] { false, true })
        {
            var output = new float[m * heads * headDim];
            fixed (float* qp = q, op = output)
            {
                if (tiled) CpuAttention.RunTiled(qp, m, heads, blocks, 0, op);
                else CpuAttention.Run(qp, m, heads, blocks, 0, op);
            }

            float worst = Worst(q, output, m, heads, kvHeads, headDim, storedK, storedV, ok, ov);
            Assert.True(worst < 1e-4f, $"attention ({(tiled ? "tiled" : "dispatched")}) differs from the naive softmax by {worst}");
        }
    }

    private static float Worst(float[] q, float[] output, int m, int heads, int kvHeads, int headDim, float[] storedK, float[] storedV, float[] ok, float[] ov)
    {
        int kvDim = kvHeads * headDim;

        float worst = 0;
        for (int i = 0; i < m; i++)
        for (int h = 0; h < heads; h++)
        {
            int g = h / (heads / kvHeads);
            var keys = new List<(float[] K, float[] V)>();
            for (int j = 0; j < 150; j++) keys.Add((storedK.AsSpan(j * kvDim + g * headDim, headDim).ToArray(), storedV.AsSpan(j * kvDim + g * headDim, headDim).ToArray()));
            for (int j = 0; j < 10 + i + 1; j++) keys.Add((ok.AsSpan(j * kvDim + g * headDim, headDim).ToArray(), ov.AsSpan(j * kvDim + g * headDim, headDim).ToArray()));
            var qRow = q.AsSpan((i * heads + h) * headDim, headDim).ToArray();
            double[] scores = keys.Select(kv => kv.K.Zip(qRow, (x, y) => (double)x * y).Sum() / Math.Sqrt(headDim)).ToArray();
            double mx = scores.Max();
            double[] p = scores.Select(s => Math.Exp(s - mx)).ToArray();
            double total = p.Sum();
            for (int d = 0; d < headDim; d++)
            {
                double expected = 0;
                for (int j = 0; j < keys.Count; j++) expected += p[j] / total * keys[j].V[d];
                worst = MathF.Max(worst, MathF.Abs((float)expected - output[(i * heads + h) * headDim + d]));
            }
        }
        return worst;
    }

    private static float[] ReadBack(KvSegment s, bool keys)
    {
        int n = s.Count * s.KvDim;
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
