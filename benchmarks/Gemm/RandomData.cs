using PromptCache.Runtime.Backends.Cpu;

namespace PromptCache.Benchmarks.Gemm;

/// <summary>Random (never zero) activations and weights in every stored dtype.</summary>
internal static unsafe class RandomData
{
    /// <summary>Fills <paramref name="count"/> floats with uniform values in ±[0.01, 1).</summary>
    public static void Floats(float* dst, long count, Random rng)
    {
        for (long i = 0; i < count; i++)
        {
            float f = 0.01f + 0.99f * rng.NextSingle();
            dst[i] = (i & 1) == 0 ? f : -f;
        }
    }

    /// <summary>Fills a weight matrix of n rows × k values in <paramref name="type"/>.</summary>
    public static void Weights(byte* dst, WeightType type, int n, int k, Random rng)
    {
        long count = (long)n * k;
        switch (type)
        {
            case WeightType.F32:
                Floats((float*)dst, count, rng);
                break;
            case WeightType.F16:
                for (long i = 0; i < count; i++)
                {
                    ((Half*)dst)[i] = (Half)((rng.NextSingle() - 0.5f) * 0.2f + 0.001f);
                }

                break;
            case WeightType.BF16:
                for (long i = 0; i < count; i++)
                {
                    ((ushort*)dst)[i] = (ushort)(BitConverter.SingleToUInt32Bits((rng.NextSingle() - 0.5f) * 0.2f + 0.001f) >> 16);
                }

                break;
            case WeightType.Q8_0:
                for (long b = 0; b < count / 32; b++)
                {
                    byte* block = dst + b * 34;
                    *(Half*)block = (Half)(0.001f + 0.01f * rng.NextSingle());
                    for (int j = 0; j < 32; j++)
                    {
                        block[2 + j] = (byte)(sbyte)rng.Next(-127, 128);
                    }
                }

                break;
        }
    }
}
