namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// The portable register tile: 4×4 scalar accumulators (16 fit the 16 registers of x64 SSE). Only
/// for CPUs without AVX2; kept as simple as possible because its job is to be obviously right.
/// </summary>
internal static unsafe class MicroKernelScalar
{
    /// <summary>Rows of the register tile.</summary>
    public const int Mr = 4;

    /// <summary>Columns of the register tile.</summary>
    public const int Nr = 4;

    /// <summary>C tile = or += A panel · W panel; see <see cref="MicroKernel512.Run"/>.</summary>
    public static void Run(int kc, float* ap, float* bp, float* c, long ldc, bool accumulate)
    {
        float* acc = stackalloc float[Mr * Nr];
        for (int i = 0; i < Mr * Nr; i++)
        {
            acc[i] = 0;
        }

        for (int p = 0; p < kc; p++, ap += Mr, bp += Nr)
        {
            for (int r = 0; r < Mr; r++)
            {
                float a = ap[r];
                for (int j = 0; j < Nr; j++)
                {
                    acc[r * Nr + j] += a * bp[j]; // no MathF.FusedMultiplyAdd: it is emulated (slow) where FMA is missing
                }
            }
        }

        for (int r = 0; r < Mr; r++)
        {
            for (int j = 0; j < Nr; j++)
            {
                c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r * Nr + j] : acc[r * Nr + j];
            }
        }
    }
}
