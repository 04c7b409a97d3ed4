namespace PromptCache.Runtime.Tests.Gemm;

using PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// For long rows (k ≥ 4096) the m = 1 GEMV dots eight W rows per pass. It keeps the one-row path's
/// summation order, so a row's result must not depend on which path computed it: every row of a
/// 21-row product (two eight-row passes and a tail) equals that row computed alone, bit for bit.
/// </summary>
public sealed unsafe class GemvEightRowTests
{
    [Theory]
    [InlineData(WeightType.F32)]
    [InlineData(WeightType.BF16)]
    [InlineData(WeightType.F16)]
    public void Eight_row_passes_equal_single_rows_bit_for_bit(WeightType type)
    {
        if (!GemmPaths.Vector512Supported) return; // the eight-row pass is part of the AVX-512 path
        const int k = 4608, n = 21;
        var rng = new Random(4608 + (int)type);
        var w = RandomWeights.Create(type, n, k, rng).Bytes;
        var a = new float[k];
        for (int i = 0; i < k; i++) a[i] = RandomWeights.NonZero(rng);
        var all = new float[n];
        var single = new float[1];
        int rowBytes = w.Length / n;
        fixed (byte* pw = w)
        fixed (float* pa = a, pAll = all, pOne = single)
        {
            CpuGemm.MatMulTransposed(pa, 1, k, pw, type, n, pAll, GemmPath.Vector512);
            for (int j = 0; j < n; j++)
            {
                CpuGemm.MatMulTransposed(pa, 1, k, pw + (long)j * rowBytes, type, 1, pOne, GemmPath.Vector512);
                Assert.Equal(BitConverter.SingleToInt32Bits(single[0]), BitConverter.SingleToInt32Bits(all[j]));
            }
        }
    }
}
