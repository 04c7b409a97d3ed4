namespace PromptCache.Runtime.Tests.Gemm;

using PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// The dtype conversions, checked exhaustively: every one of the 65536 f16 and bf16 bit patterns
/// (zeros, subnormals, infinities, NaNs included) on every instruction-set path.
/// </summary>
public sealed class WeightDecoderTests
{
    public static TheoryData<GemmPathCase> Paths() => new() { GemmPathCase.Scalar, GemmPathCase.Vector256, GemmPathCase.Vector512 };

    [Theory]
    [MemberData(nameof(Paths))]
    public unsafe void F16_every_bit_pattern_matches_the_framework(GemmPathCase path)
    {
        if (!Supported(path))
        {
            return;
        }

        var src = new ushort[65536];
        for (int i = 0; i < src.Length; i++)
        {
            src[i] = (ushort)i;
        }

        var dst = new float[65536];
        fixed (ushort* s = src)
        fixed (float* d = dst)
        {
            WeightDecoder.Decode(s, WeightType.F16, 0, src.Length, d, (GemmPath)path);
        }

        for (int i = 0; i < src.Length; i++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)i);
            Assert.True(
                float.IsNaN(expected) ? float.IsNaN(dst[i]) : BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(dst[i]),
                $"{path}: half 0x{i:X4} decoded to {dst[i]:R}, expected {expected:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public unsafe void Bf16_every_bit_pattern_is_the_high_half_of_a_float(GemmPathCase path)
    {
        if (!Supported(path))
        {
            return;
        }

        var src = new ushort[65536 + 7]; // odd length: the vector loops' scalar tails run too
        for (int i = 0; i < src.Length; i++)
        {
            src[i] = (ushort)(i * 40503);
        }

        var dst = new float[src.Length];
        fixed (ushort* s = src)
        fixed (float* d = dst)
        {
            WeightDecoder.Decode(s, WeightType.BF16, 0, src.Length, d, (GemmPath)path);
        }

        for (int i = 0; i < src.Length; i++)
        {
            Assert.Equal((uint)src[i] << 16, BitConverter.SingleToUInt32Bits(dst[i]));
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public unsafe void Q8_0_blocks_are_scale_times_int8(GemmPathCase path)
    {
        if (!Supported(path))
        {
            return;
        }

        const int blocks = 37;
        var rng = new Random(3);
        var src = new byte[blocks * 34];
        var expected = new float[blocks * 32];
        for (int b = 0; b < blocks; b++)
        {
            Half d = (Half)(rng.NextDouble() * 4 - 2);
            BitConverter.TryWriteBytes(src.AsSpan(b * 34), BitConverter.HalfToUInt16Bits(d));
            for (int j = 0; j < 32; j++)
            {
                sbyte q = (sbyte)rng.Next(-128, 128);
                src[b * 34 + 2 + j] = (byte)q;
                expected[b * 32 + j] = (float)d * q;
            }
        }

        // Start at block 3 to check the block offset arithmetic as well.
        var dst = new float[(blocks - 3) * 32];
        fixed (byte* s = src)
        fixed (float* d = dst)
        {
            WeightDecoder.Decode(s, WeightType.Q8_0, 3 * 32, dst.Length, d, (GemmPath)path);
        }

        Assert.Equal(expected.AsSpan(3 * 32).ToArray(), dst);
    }

    private static bool Supported(GemmPathCase path) =>
        path switch
        {
            GemmPathCase.Vector512 => GemmPaths.Vector512Supported,
            GemmPathCase.Vector256 => GemmPaths.Vector256Supported,
            _ => true,
        };
}
