using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// The AVX-512 register tile: 8 rows × 32 columns of C held in 16 zmm accumulators. Each
/// step of k loads 2 vectors of packed W, broadcasts 8 values of packed A and issues 16 FMAs,
/// so the FMA units, not the loads, are the bottleneck (this shape measured ~95 % of the FMA
/// peak with data in cache; see README.md). Fully unrolled by hand because the JIT keeps only
/// named locals in registers.
/// </summary>
internal static unsafe class MicroKernel512
{
    /// <summary>Rows of the register tile (packed A panel height).</summary>
    public const int Mr = 8;

    /// <summary>Columns of the register tile (packed W panel width).</summary>
    public const int Nr = 32;

    /// <summary>
    /// C[0..Mr, 0..Nr] (row stride <paramref name="ldc"/>) = or += the product of an A panel
    /// (<paramref name="kc"/> steps of Mr floats) and a W panel (kc steps of Nr floats).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* ap, float* bp, float* c, long ldc, bool accumulate)
    {
        Vector512<float> c00 = default; Vector512<float> c01 = default;
        Vector512<float> c10 = default; Vector512<float> c11 = default;
        Vector512<float> c20 = default; Vector512<float> c21 = default;
        Vector512<float> c30 = default; Vector512<float> c31 = default;
        Vector512<float> c40 = default; Vector512<float> c41 = default;
        Vector512<float> c50 = default; Vector512<float> c51 = default;
        Vector512<float> c60 = default; Vector512<float> c61 = default;
        Vector512<float> c70 = default; Vector512<float> c71 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.LoadAligned(bp + 0);
            Vector512<float> b1 = Vector512.LoadAligned(bp + 16);
            Vector512<float> a;
            a = Vector512.Create(ap[0]);
            c00 = Avx512F.FusedMultiplyAdd(a, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(ap[1]);
            c10 = Avx512F.FusedMultiplyAdd(a, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(ap[2]);
            c20 = Avx512F.FusedMultiplyAdd(a, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(ap[3]);
            c30 = Avx512F.FusedMultiplyAdd(a, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(ap[4]);
            c40 = Avx512F.FusedMultiplyAdd(a, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(ap[5]);
            c50 = Avx512F.FusedMultiplyAdd(a, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(a, b1, c51);
            a = Vector512.Create(ap[6]);
            c60 = Avx512F.FusedMultiplyAdd(a, b0, c60);
            c61 = Avx512F.FusedMultiplyAdd(a, b1, c61);
            a = Vector512.Create(ap[7]);
            c70 = Avx512F.FusedMultiplyAdd(a, b0, c70);
            c71 = Avx512F.FusedMultiplyAdd(a, b1, c71);
            ap += Mr;
            bp += Nr;
        }

        if (accumulate)
        {
            (Vector512.Load(c + 0 * ldc + 0) + c00).Store(c + 0 * ldc + 0);
            (Vector512.Load(c + 0 * ldc + 16) + c01).Store(c + 0 * ldc + 16);
            (Vector512.Load(c + 1 * ldc + 0) + c10).Store(c + 1 * ldc + 0);
            (Vector512.Load(c + 1 * ldc + 16) + c11).Store(c + 1 * ldc + 16);
            (Vector512.Load(c + 2 * ldc + 0) + c20).Store(c + 2 * ldc + 0);
            (Vector512.Load(c + 2 * ldc + 16) + c21).Store(c + 2 * ldc + 16);
            (Vector512.Load(c + 3 * ldc + 0) + c30).Store(c + 3 * ldc + 0);
            (Vector512.Load(c + 3 * ldc + 16) + c31).Store(c + 3 * ldc + 16);
            (Vector512.Load(c + 4 * ldc + 0) + c40).Store(c + 4 * ldc + 0);
            (Vector512.Load(c + 4 * ldc + 16) + c41).Store(c + 4 * ldc + 16);
            (Vector512.Load(c + 5 * ldc + 0) + c50).Store(c + 5 * ldc + 0);
            (Vector512.Load(c + 5 * ldc + 16) + c51).Store(c + 5 * ldc + 16);
            (Vector512.Load(c + 6 * ldc + 0) + c60).Store(c + 6 * ldc + 0);
            (Vector512.Load(c + 6 * ldc + 16) + c61).Store(c + 6 * ldc + 16);
            (Vector512.Load(c + 7 * ldc + 0) + c70).Store(c + 7 * ldc + 0);
            (Vector512.Load(c + 7 * ldc + 16) + c71).Store(c + 7 * ldc + 16);
        }
        else
        {
            c00.Store(c + 0 * ldc + 0);
            c01.Store(c + 0 * ldc + 16);
            c10.Store(c + 1 * ldc + 0);
            c11.Store(c + 1 * ldc + 16);
            c20.Store(c + 2 * ldc + 0);
            c21.Store(c + 2 * ldc + 16);
            c30.Store(c + 3 * ldc + 0);
            c31.Store(c + 3 * ldc + 16);
            c40.Store(c + 4 * ldc + 0);
            c41.Store(c + 4 * ldc + 16);
            c50.Store(c + 5 * ldc + 0);
            c51.Store(c + 5 * ldc + 16);
            c60.Store(c + 6 * ldc + 0);
            c61.Store(c + 6 * ldc + 16);
            c70.Store(c + 7 * ldc + 0);
            c71.Store(c + 7 * ldc + 16);
        }
    }
}
