using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Models;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>The CPU backend's element-wise operations against their textbook definitions.</summary>
public sealed unsafe class ElementwiseTests
{
    [Fact]
    public void SiluMul_matches_the_definition_including_extremes()
    {
        var rng = new Random(3);
        float[] gate = Enumerable.Range(0, 1000).Select(i => i < 8 ? new[] { -200f, -90f, -20f, 0f, 20f, 90f, 200f, 1e-3f }[i] : (float)(rng.NextDouble() * 20 - 10)).ToArray();
        float[] up = Enumerable.Range(0, 1000).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        float[] expected = gate.Zip(up, (g, u) => (float)(g / (1 + Math.Exp(-g)) * u)).ToArray();
        fixed (float* g = gate, u = up) CpuBackend.Instance.SiluMul(g, u, gate.Length);
        for (int i = 0; i < gate.Length; i++)
            Assert.True(MathF.Abs(expected[i] - gate[i]) <= 1e-5f * MathF.Max(1, MathF.Abs(expected[i])), $"silu·up at {i}: {gate[i]} vs {expected[i]}");
    }

    [Fact]
    public void MatMulAdd_adds_the_product_into_y_by_default()
    {
        // IComputeBackend's default (the CPU backend's): the product into scratch, then y += scratch.
        const int m = 3, rows = 5, cols = 4;
        var rng = new Random(12);
        float[] weights = Enumerable.Range(0, rows * cols).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] x = Enumerable.Range(0, m * cols).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] y = Enumerable.Range(0, m * rows).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] expected = new float[y.Length];
        for (int r = 0; r < m; r++)
        for (int o = 0; o < rows; o++)
        {
            double sum = 0;
            for (int i = 0; i < cols; i++) sum += x[r * cols + i] * (double)weights[o * cols + i];
            expected[r * rows + o] = (float)(y[r * rows + o] + sum);
        }
        var scratch = new float[y.Length];
        fixed (float* w = weights, px = x, py = y, ps = scratch)
        {
            IComputeBackend backend = CpuBackend.Instance;
            backend.MatMulAdd(px, m, new WeightTensor("w", w, WeightType.F32, rows, cols), py, ps);
        }
        for (int i = 0; i < y.Length; i++) Assert.True(MathF.Abs(expected[i] - y[i]) <= 1e-5f, $"y[{i}]: {y[i]} vs {expected[i]}");
    }

    [Theory]
    [InlineData(RopeStyle.Halves, 64)]
    [InlineData(RopeStyle.Halves, 8)]
    [InlineData(RopeStyle.Interleaved, 64)]
    public void Rope_rotates_each_pair_by_position_times_frequency(RopeStyle style, int headDim)
    {
        int heads = 3, m = 4;
        int[] positions = [0, 7, 100, 3];
        var inv = new RopeSettings(10000).InverseFrequencies(headDim);
        var table = new RopeTable(positions, inv);
        var rng = new Random(9);
        float[] x = Enumerable.Range(0, m * heads * headDim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] original = (float[])x.Clone();
        fixed (float* p = x) CpuBackend.Instance.Rope(p, m, heads, table, style);
        int half = headDim / 2;
        for (int t = 0; t < m; t++)
        for (int h = 0; h < heads; h++)
        for (int i = 0; i < half; i++)
        {
            int a = style == RopeStyle.Halves ? i : 2 * i, b = style == RopeStyle.Halves ? i + half : 2 * i + 1;
            int o = (t * heads + h) * headDim;
            double angle = positions[t] * (double)inv[i];
            double ea = original[o + a] * Math.Cos(angle) - original[o + b] * Math.Sin(angle);
            double eb = original[o + b] * Math.Cos(angle) + original[o + a] * Math.Sin(angle);
            Assert.True(Math.Abs(ea - x[o + a]) < 1e-4 && Math.Abs(eb - x[o + b]) < 1e-4, $"token {t} head {h} pair {i}");
        }
    }

    [Fact]
    public void HalfToSingle_is_exact_for_every_half_value()
    {
        var halves = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
        var floats = new float[halves.Length];
        fixed (ushort* h = halves)
        fixed (float* f = floats)
            FloatConversions.HalfToSingle(h, f, halves.Length);
        for (int i = 0; i < halves.Length; i++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf(halves[i]);
            Assert.True(float.IsNaN(expected) ? float.IsNaN(floats[i]) : BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(floats[i]),
                $"half 0x{i:X4}: {floats[i]} vs {expected}");
        }
    }
}
