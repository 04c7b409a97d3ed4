using System.Runtime.CompilerServices;

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
                        _ => Transposed<Q8Loader>(w, rowBytes, first + g, pc, kc, nr, panel + g),
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
            Transpose16.Store(
                TLoader.Load16(r0, at), TLoader.Load16(r0 + rowBytes, at),
                TLoader.Load16(r0 + 2 * rowBytes, at), TLoader.Load16(r0 + 3 * rowBytes, at),
                TLoader.Load16(r0 + 4 * rowBytes, at), TLoader.Load16(r0 + 5 * rowBytes, at),
                TLoader.Load16(r0 + 6 * rowBytes, at), TLoader.Load16(r0 + 7 * rowBytes, at),
                TLoader.Load16(r0 + 8 * rowBytes, at), TLoader.Load16(r0 + 9 * rowBytes, at),
                TLoader.Load16(r0 + 10 * rowBytes, at), TLoader.Load16(r0 + 11 * rowBytes, at),
                TLoader.Load16(r0 + 12 * rowBytes, at), TLoader.Load16(r0 + 13 * rowBytes, at),
                TLoader.Load16(r0 + 14 * rowBytes, at), TLoader.Load16(r0 + 15 * rowBytes, at),
                dst + (long)p * nr, nr);
        }

        return p;
    }

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
