using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// The AVX2/FMA register tile: 6 rows × 16 columns of C in 12 ymm accumulators, which with
/// 2 W vectors and one broadcast fills the 16 ymm registers AVX2 has.
/// </summary>
internal static unsafe class MicroKernel256
{
    /// <summary>Rows of the register tile.</summary>
    public const int Mr = 6;

    /// <summary>Columns of the register tile.</summary>
    public const int Nr = 16;

    /// <summary>C tile = or += A panel · W panel; see <see cref="MicroKernel512.Run"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* ap, float* bp, float* c, long ldc, bool accumulate)
    {
        Vector256<float> c00 = default; Vector256<float> c01 = default;
        Vector256<float> c10 = default; Vector256<float> c11 = default;
        Vector256<float> c20 = default; Vector256<float> c21 = default;
        Vector256<float> c30 = default; Vector256<float> c31 = default;
        Vector256<float> c40 = default; Vector256<float> c41 = default;
        Vector256<float> c50 = default; Vector256<float> c51 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.LoadAligned(bp + 0);
            Vector256<float> b1 = Vector256.LoadAligned(bp + 8);
            Vector256<float> a;
            a = Vector256.Create(ap[0]);
            c00 = Fma.MultiplyAdd(a, b0, c00);
            c01 = Fma.MultiplyAdd(a, b1, c01);
            a = Vector256.Create(ap[1]);
            c10 = Fma.MultiplyAdd(a, b0, c10);
            c11 = Fma.MultiplyAdd(a, b1, c11);
            a = Vector256.Create(ap[2]);
            c20 = Fma.MultiplyAdd(a, b0, c20);
            c21 = Fma.MultiplyAdd(a, b1, c21);
            a = Vector256.Create(ap[3]);
            c30 = Fma.MultiplyAdd(a, b0, c30);
            c31 = Fma.MultiplyAdd(a, b1, c31);
            a = Vector256.Create(ap[4]);
            c40 = Fma.MultiplyAdd(a, b0, c40);
            c41 = Fma.MultiplyAdd(a, b1, c41);
            a = Vector256.Create(ap[5]);
            c50 = Fma.MultiplyAdd(a, b0, c50);
            c51 = Fma.MultiplyAdd(a, b1, c51);
            ap += Mr;
            bp += Nr;
        }

        if (accumulate)
        {
            (Vector256.Load(c + 0 * ldc + 0) + c00).Store(c + 0 * ldc + 0);
            (Vector256.Load(c + 0 * ldc + 8) + c01).Store(c + 0 * ldc + 8);
            (Vector256.Load(c + 1 * ldc + 0) + c10).Store(c + 1 * ldc + 0);
            (Vector256.Load(c + 1 * ldc + 8) + c11).Store(c + 1 * ldc + 8);
            (Vector256.Load(c + 2 * ldc + 0) + c20).Store(c + 2 * ldc + 0);
            (Vector256.Load(c + 2 * ldc + 8) + c21).Store(c + 2 * ldc + 8);
            (Vector256.Load(c + 3 * ldc + 0) + c30).Store(c + 3 * ldc + 0);
            (Vector256.Load(c + 3 * ldc + 8) + c31).Store(c + 3 * ldc + 8);
            (Vector256.Load(c + 4 * ldc + 0) + c40).Store(c + 4 * ldc + 0);
            (Vector256.Load(c + 4 * ldc + 8) + c41).Store(c + 4 * ldc + 8);
            (Vector256.Load(c + 5 * ldc + 0) + c50).Store(c + 5 * ldc + 0);
            (Vector256.Load(c + 5 * ldc + 8) + c51).Store(c + 5 * ldc + 8);
        }
        else
        {
            c00.Store(c + 0 * ldc + 0);
            c01.Store(c + 0 * ldc + 8);
            c10.Store(c + 1 * ldc + 0);
            c11.Store(c + 1 * ldc + 8);
            c20.Store(c + 2 * ldc + 0);
            c21.Store(c + 2 * ldc + 8);
            c30.Store(c + 3 * ldc + 0);
            c31.Store(c + 3 * ldc + 8);
            c40.Store(c + 4 * ldc + 0);
            c41.Store(c + 4 * ldc + 8);
            c50.Store(c + 5 * ldc + 0);
            c51.Store(c + 5 * ldc + 8);
        }
    }
}
