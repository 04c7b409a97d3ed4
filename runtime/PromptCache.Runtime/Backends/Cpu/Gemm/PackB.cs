using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// Packs weights for the micro-kernel: converts a block of W (rows j0.., values pc..pc+kc) from its
/// stored dtype to f32 and turns it so that each panel of <c>nr</c> W rows is stored value by value
/// (<c>panel[p·nr + jj] = W[j0 + q·nr + jj, pc + p]</c>). Rows past n are zero.
/// </summary>
internal static unsafe class PackB
{
    /// <summary>
    /// Packs <paramref name="cols"/> W rows starting at <paramref name="j0"/> (panels of
    /// <paramref name="nr"/>, the last one zero-padded) for the k block [pc, pc+kc) into
    /// <paramref name="dst"/>. <paramref name="scratch"/> holds at least kc floats for the
    /// row-by-row fallback.
    /// </summary>
    public static void Pack(byte* w, WeightType type, long rowBytes, int n, int j0, int cols, int pc, int kc,
        int nr, GemmPath path, float* dst, float* scratch)
    {
        for (int q = 0; q * nr < cols; q++)
        {
            int first = j0 + q * nr;
            int valid = Math.Min(nr, n - first);
            float* panel = dst + (long)q * nr * kc;
            int done = 0;
            if (path == GemmPath.Vector512 && valid == nr && nr % 16 == 0)
            {
                for (int g = 0; g < nr; g += 16)
                {
                    done = type switch
                    {
                        WeightType.F32 => Transposed<F32Loader>(w, rowBytes, first + g, pc, kc, nr, panel + g),
                        WeightType.BF16 => Transposed<Bf16Loader>(w, rowBytes, first + g, pc, kc, nr, panel + g),
                        WeightType.F16 => Transposed<F16Loader>(w, rowBytes, first + g, pc, kc, nr, panel + g),
                        _ => TransposedQ8(w, rowBytes, first + g, pc, kc, nr, panel + g),
                    };
                }
            }

            if (done < kc)
            {
                RowByRow(w, type, rowBytes, first, valid, pc + done, kc - done, nr, path, panel + (long)done * nr, scratch);
            }
        }
    }

    // The fast path: 16 rows × 16 values at a time, converted and transposed in registers.
    // Returns how many values of the block it covered (a multiple of 16).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Transposed<TLoader>(byte* w, long rowBytes, int row, int pc, int kc, int nr, float* dst)
        where TLoader : IWeightLoader512
    {
        byte* r0 = w + row * rowBytes;
        int p = 0;
        for (; p + 16 <= kc; p += 16)
        {
            int at = pc + p;
            Transpose16.Store<TLoader>(r0, rowBytes, at, dst + (long)p * nr, nr);
        }

        return p;
    }

    // Q8_0: as above, but the 16 rows' block scales are converted together once per block.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int TransposedQ8(byte* w, long rowBytes, int row, int pc, int kc, int nr, float* dst)
    {
        byte* r0 = w + row * rowBytes;
        float* scales = stackalloc float[16];
        float* rowsF32 = stackalloc float[16 * 16];
        int p = 0;
        for (; p + 32 <= kc; p += 32)
        {
            byte* block = r0 + (long)((pc + p) >> 5) * WeightLayout.Q8BlockBytes;
            WeightDecoder.Q8Scales16(block, rowBytes).Store(scales);
            for (int half = 0; half < 32; half += 16)
            {
                sbyte* q = (sbyte*)block + 2 + half;
                // Scaled rows go through a 1 KiB L1 buffer: the transpose loads its rows itself.
                for (int r = 0; r < 16; r++) Q8(q, r, rowBytes, scales).Store(rowsF32 + r * 16);
                Transpose16.Store<F32Loader>((byte*)rowsF32, 16 * sizeof(float), 0, dst + (long)(p + half) * nr, nr);
            }
        }

        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Q8(sbyte* q, int r, long rowBytes, float* scales) =>
        Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q + r * rowBytes))) * Vector512.Create(scales[r]);

    // The general path: decode each row's run into scratch, then scatter it into its column.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowByRow(byte* w, WeightType type, long rowBytes, int first, int valid, int p0, int count,
        int nr, GemmPath path, float* dst, float* scratch)
    {
        for (int jj = 0; jj < nr; jj++)
        {
            if (jj < valid)
            {
                WeightDecoder.Decode(w + (first + jj) * rowBytes, type, p0, count, scratch, path);
                for (int p = 0; p < count; p++)
                {
                    dst[(long)p * nr + jj] = scratch[p];
                }
            }
            else
            {
                for (int p = 0; p < count; p++)
                {
                    dst[(long)p * nr + jj] = 0f;
                }
            }
        }
    }
}
