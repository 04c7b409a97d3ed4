namespace PromptCache.Runtime.Tests.Gemm;

using PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// The GEMV's 2^112-scaled f16 read must give exactly what exact conversion gives. Activations of
/// magnitude ≥ 2^15 take the exact read, and multiplying A by 2^16 (a power of two) scales every
/// product and C by exactly 2^16; so C(A·2^16) / 2^16 is the exact path's answer for A, bit for bit.
/// </summary>
public sealed unsafe class GemvF16Tests
{
    [Theory]
    [InlineData(1, 768, 70)]
    [InlineData(2, 2048, 33)]
    [InlineData(4, 64, 5)]
    [InlineData(1, 4608, 21)] // k ≥ 4096: eight rows per pass, then a 5-row tail
    public void Scaled_read_equals_exact_conversion_bit_for_bit(int m, int k, int n)
    {
        if (!GemmPaths.Vector512Supported) return; // the scaled read is an AVX-512 path
        var rng = new Random(m * 1000 + k);
        var w = new ushort[n * k];
        for (int i = 0; i < w.Length; i++)
        {
            // Every finite half, subnormals and ±0 included, plus typical small weights.
            ushort bits = (ushort)rng.Next(0, 65536);
            if ((bits & 0x7C00) == 0x7C00) bits &= 0x83FF; // inf/NaN → subnormal of the same sign
            w[i] = i % 3 == 0 ? BitConverter.HalfToUInt16Bits((Half)(RandomWeights.NonZero(rng) * 0.02f)) : bits;
        }

        var a = new float[m * k];
        for (int i = 0; i < a.Length; i++) a[i] = RandomWeights.NonZero(rng) * 4;
        var big = a.Select(x => x * 65536f).ToArray();
        var c = new float[m * n];
        var cBig = new float[m * n];
        fixed (ushort* pw = w)
        fixed (float* pa = a, pb = big, pc = c, pcb = cBig)
        {
            CpuGemm.MatMulTransposed(pa, m, k, pw, WeightType.F16, n, pc, GemmPath.Vector512);
            CpuGemm.MatMulTransposed(pb, m, k, pw, WeightType.F16, n, pcb, GemmPath.Vector512);
        }

        for (int i = 0; i < c.Length; i++)
        {
            if (float.IsInfinity(cBig[i])) continue; // the large halves overflowed in the ×2^16 run only
            Assert.Equal(BitConverter.SingleToInt32Bits(cBig[i] / 65536f), BitConverter.SingleToInt32Bits(c[i]));
        }
    }
}
