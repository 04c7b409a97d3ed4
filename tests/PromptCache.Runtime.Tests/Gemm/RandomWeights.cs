namespace PromptCache.Runtime.Tests.Gemm;

using PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// A random weight matrix in one stored dtype, together with the exact values it encodes (as
/// doubles), so the reference never shares decoding code with the kernels under test.
/// </summary>
internal sealed class RandomWeights
{
    private RandomWeights(byte[] bytes, double[] values)
    {
        Bytes = bytes;
        Values = values;
    }

    /// <summary>The stored bytes: n rows of k values in the given dtype.</summary>
    public byte[] Bytes { get; }

    /// <summary>The value each stored element represents, row-major n×k.</summary>
    public double[] Values { get; }

    /// <summary>Random weights in [-1, 1) (never zeros), plus a few special values where exact.</summary>
    public static RandomWeights Create(WeightType type, int n, int k, Random rng)
    {
        var values = new double[(long)n * k];
        switch (type)
        {
            case WeightType.F32:
            {
                var bytes = new byte[values.Length * 4];
                for (int i = 0; i < values.Length; i++)
                {
                    float f = NonZero(rng);
                    values[i] = f;
                    BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), f);
                }

                return new RandomWeights(bytes, values);
            }

            case WeightType.F16:
            {
                var bytes = new byte[values.Length * 2];
                for (int i = 0; i < values.Length; i++)
                {
                    // Every 97th value is a half subnormal, to exercise that branch of the converter.
                    Half h = i % 97 == 5 ? BitConverter.UInt16BitsToHalf((ushort)(0x0001 + (i & 0x3FF) | (i & 1) << 15)) : (Half)NonZero(rng);
                    values[i] = (double)h;
                    BitConverter.TryWriteBytes(bytes.AsSpan(i * 2), BitConverter.HalfToUInt16Bits(h));
                }

                return new RandomWeights(bytes, values);
            }

            case WeightType.BF16:
            {
                var bytes = new byte[values.Length * 2];
                for (int i = 0; i < values.Length; i++)
                {
                    ushort bits = (ushort)(BitConverter.SingleToUInt32Bits(NonZero(rng)) >> 16);
                    values[i] = BitConverter.UInt32BitsToSingle((uint)bits << 16);
                    BitConverter.TryWriteBytes(bytes.AsSpan(i * 2), bits);
                }

                return new RandomWeights(bytes, values);
            }

            case WeightType.Q8_0:
            {
                int blocksPerRow = k / 32;
                var bytes = new byte[(long)n * blocksPerRow * 34];
                int o = 0;
                for (int r = 0; r < n; r++)
                {
                    for (int b = 0; b < blocksPerRow; b++)
                    {
                        Half d = (Half)(0.001 + rng.NextDouble() * 0.02);
                        BitConverter.TryWriteBytes(bytes.AsSpan(o), BitConverter.HalfToUInt16Bits(d));
                        for (int j = 0; j < 32; j++)
                        {
                            sbyte q = (sbyte)rng.Next(-127, 128);
                            q = q == 0 ? (sbyte)1 : q;
                            bytes[o + 2 + j] = (byte)q;
                            values[(long)r * k + b * 32 + j] = (double)d * q;
                        }

                        o += 34;
                    }
                }

                return new RandomWeights(bytes, values);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(type));
        }
    }

    /// <summary>Uniform in [-1, 1) with |x| ≥ 1/64, so no term of a dot product is zero.</summary>
    public static float NonZero(Random rng)
    {
        float f = (float)(rng.NextDouble() * 2 - 1);
        return MathF.Abs(f) < 1f / 64 ? f + MathF.CopySign(1f / 32, f) : f;
    }
}
