using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// Packs activations for the micro-kernel: for each k block and each panel of <c>mr</c> rows,
/// the values are stored step by step (<c>panel[p·mr + r] = A[row0 + r, pc + p]</c>) so the kernel
/// reads them sequentially. Rows past the end of A are zero, so edge panels need no special code.
/// </summary>
internal static unsafe class PackA
{
    /// <summary>Floats needed to pack <paramref name="rows"/> rows of k values in panels of mr.</summary>
    public static long Size(int rows, int k, int mr) => (long)RoundUp(rows, mr) * k;

    /// <summary>
    /// Offset of panel <paramref name="panel"/> of the k block starting at <paramref name="pc"/>
    /// (block width <paramref name="kc"/>) in a buffer packed for <paramref name="rows"/> rows.
    /// Blocks are laid out one after another, each holding all panels.
    /// </summary>
    public static long Offset(int rows, int mr, int pc, int kc, int panel) =>
        (long)pc * RoundUp(rows, mr) + (long)panel * mr * kc;

    /// <summary>Packs panel <paramref name="panel"/> (rows row0 + panel·mr ..) for every k block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackPanel(float* a, int k, int row0, int rows, int panel, int mr, int kcMax, float* dst)
    {
        int first = panel * mr;
        int valid = Math.Min(mr, rows - first);
        for (int pc = 0; pc < k; pc += kcMax)
        {
            int kc = Math.Min(kcMax, k - pc);
            float* d = dst + Offset(rows, mr, pc, kc, panel);
            int p0 = 0;
            if (mr == 8 && valid == 8 && Avx.IsSupported)
            {
                p0 = Transposed8(a + (long)(row0 + first) * k + pc, k, kc, d);
            }

            for (int r = 0; r < mr; r++)
            {
                if (r < valid)
                {
                    float* src = a + (long)(row0 + first + r) * k + pc;
                    for (int p = p0; p < kc; p++)
                    {
                        d[p * mr + r] = src[p];
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++)
                    {
                        d[p * mr + r] = 0f;
                    }
                }
            }
        }
    }

    // Eight full rows, eight values at a time: an 8×8 transpose in ymm registers replaces 64
    // scalar moves. Returns how many values it packed (a multiple of 8).
    private static int Transposed8(float* src, int lda, int kc, float* d)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            float* s = src + p;
            Vector256<float> r0 = Vector256.Load(s), r1 = Vector256.Load(s + lda);
            Vector256<float> r2 = Vector256.Load(s + 2 * lda), r3 = Vector256.Load(s + 3 * lda);
            Vector256<float> r4 = Vector256.Load(s + 4 * lda), r5 = Vector256.Load(s + 5 * lda);
            Vector256<float> r6 = Vector256.Load(s + 6 * lda), r7 = Vector256.Load(s + 7 * lda);

            // 32-bit then 64-bit interleaves within 128-bit halves, then swap halves.
            Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
            Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
            Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
            Vector256<float> u0 = Avx.UnpackLow(t0.AsDouble(), t2.AsDouble()).AsSingle();
            Vector256<float> u1 = Avx.UnpackHigh(t0.AsDouble(), t2.AsDouble()).AsSingle();
            Vector256<float> u2 = Avx.UnpackLow(t1.AsDouble(), t3.AsDouble()).AsSingle();
            Vector256<float> u3 = Avx.UnpackHigh(t1.AsDouble(), t3.AsDouble()).AsSingle();
            Vector256<float> u4 = Avx.UnpackLow(t4.AsDouble(), t6.AsDouble()).AsSingle();
            Vector256<float> u5 = Avx.UnpackHigh(t4.AsDouble(), t6.AsDouble()).AsSingle();
            Vector256<float> u6 = Avx.UnpackLow(t5.AsDouble(), t7.AsDouble()).AsSingle();
            Vector256<float> u7 = Avx.UnpackHigh(t5.AsDouble(), t7.AsDouble()).AsSingle();
            float* o = d + p * 8;
            Avx.Permute2x128(u0, u4, 0x20).Store(o);
            Avx.Permute2x128(u1, u5, 0x20).Store(o + 8);
            Avx.Permute2x128(u2, u6, 0x20).Store(o + 16);
            Avx.Permute2x128(u3, u7, 0x20).Store(o + 24);
            Avx.Permute2x128(u0, u4, 0x31).Store(o + 32);
            Avx.Permute2x128(u1, u5, 0x31).Store(o + 40);
            Avx.Permute2x128(u2, u6, 0x31).Store(o + 48);
            Avx.Permute2x128(u3, u7, 0x31).Store(o + 56);
        }

        return p;
    }

    /// <summary><paramref name="x"/> rounded up to a multiple of <paramref name="multiple"/>.</summary>
    public static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}
