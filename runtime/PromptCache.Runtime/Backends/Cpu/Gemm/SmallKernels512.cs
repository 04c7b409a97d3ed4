using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// Register tiles of the small-m path (<see cref="SmallGemm"/>), the blocked kernel with the roles
/// swapped: all (≤ 64, zero-padded to 16s) rows of A are packed transposed, so one step of k loads
/// them as 1-4 vectors, and each W value is broadcast straight from its stored (f32-converted)
/// row. W thus needs no transposing pack. A tile covers the full k, so the output
/// (<c>tile[j·rows + i]</c>, i.e. Cᵀ) is written once.
/// </summary>
internal static unsafe class SmallKernels512
{
    /// <summary>16 rows of A × 12 W rows: 12 accumulators; see the class summary.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile1x12(float* ap, float* w, long ldw, int k, float* tile)
    {
        // W rows are reached from a few base pointers plus 1× or 2× the row stride, which x64
        // addressing folds into the broadcast; that keeps the pointer count within the registers.
        long stride = ldw * sizeof(float);
        byte* w0 = (byte*)(w + 0 * ldw);
        byte* w1 = (byte*)(w + 3 * ldw);
        byte* w2 = (byte*)(w + 6 * ldw);
        byte* w3 = (byte*)(w + 9 * ldw);
        Vector512<float> c0_0 = default; Vector512<float> c1_0 = default; Vector512<float> c2_0 = default; Vector512<float> c3_0 = default; Vector512<float> c4_0 = default; Vector512<float> c5_0 = default; Vector512<float> c6_0 = default; Vector512<float> c7_0 = default; Vector512<float> c8_0 = default; Vector512<float> c9_0 = default; Vector512<float> c10_0 = default; Vector512<float> c11_0 = default;
        for (int p = 0; p < k; p++)
        {
            Vector512<float> a0 = Vector512.LoadAligned(ap + 0);
            Vector512<float> b;
            b = Vector512.Create(*(float*)(w0));
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b, c0_0);
            b = Vector512.Create(*(float*)(w0 + stride));
            c1_0 = Avx512F.FusedMultiplyAdd(a0, b, c1_0);
            b = Vector512.Create(*(float*)(w0 + 2 * stride));
            c2_0 = Avx512F.FusedMultiplyAdd(a0, b, c2_0);
            b = Vector512.Create(*(float*)(w1));
            c3_0 = Avx512F.FusedMultiplyAdd(a0, b, c3_0);
            b = Vector512.Create(*(float*)(w1 + stride));
            c4_0 = Avx512F.FusedMultiplyAdd(a0, b, c4_0);
            b = Vector512.Create(*(float*)(w1 + 2 * stride));
            c5_0 = Avx512F.FusedMultiplyAdd(a0, b, c5_0);
            b = Vector512.Create(*(float*)(w2));
            c6_0 = Avx512F.FusedMultiplyAdd(a0, b, c6_0);
            b = Vector512.Create(*(float*)(w2 + stride));
            c7_0 = Avx512F.FusedMultiplyAdd(a0, b, c7_0);
            b = Vector512.Create(*(float*)(w2 + 2 * stride));
            c8_0 = Avx512F.FusedMultiplyAdd(a0, b, c8_0);
            b = Vector512.Create(*(float*)(w3));
            c9_0 = Avx512F.FusedMultiplyAdd(a0, b, c9_0);
            b = Vector512.Create(*(float*)(w3 + stride));
            c10_0 = Avx512F.FusedMultiplyAdd(a0, b, c10_0);
            b = Vector512.Create(*(float*)(w3 + 2 * stride));
            c11_0 = Avx512F.FusedMultiplyAdd(a0, b, c11_0);
            ap += 16;
            w0 += sizeof(float);
            w1 += sizeof(float);
            w2 += sizeof(float);
            w3 += sizeof(float);
        }

        c0_0.Store(tile + 0);
        c1_0.Store(tile + 16);
        c2_0.Store(tile + 32);
        c3_0.Store(tile + 48);
        c4_0.Store(tile + 64);
        c5_0.Store(tile + 80);
        c6_0.Store(tile + 96);
        c7_0.Store(tile + 112);
        c8_0.Store(tile + 128);
        c9_0.Store(tile + 144);
        c10_0.Store(tile + 160);
        c11_0.Store(tile + 176);
    }

    /// <summary>32 rows of A × 12 W rows: 24 accumulators; see the class summary.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile2x12(float* ap, float* w, long ldw, int k, float* tile)
    {
        // W rows are reached from a few base pointers plus 1× or 2× the row stride, which x64
        // addressing folds into the broadcast; that keeps the pointer count within the registers.
        long stride = ldw * sizeof(float);
        byte* w0 = (byte*)(w + 0 * ldw);
        byte* w1 = (byte*)(w + 3 * ldw);
        byte* w2 = (byte*)(w + 6 * ldw);
        byte* w3 = (byte*)(w + 9 * ldw);
        Vector512<float> c0_0 = default; Vector512<float> c1_0 = default; Vector512<float> c2_0 = default; Vector512<float> c3_0 = default; Vector512<float> c4_0 = default; Vector512<float> c5_0 = default; Vector512<float> c6_0 = default; Vector512<float> c7_0 = default; Vector512<float> c8_0 = default; Vector512<float> c9_0 = default; Vector512<float> c10_0 = default; Vector512<float> c11_0 = default;
        Vector512<float> c0_1 = default; Vector512<float> c1_1 = default; Vector512<float> c2_1 = default; Vector512<float> c3_1 = default; Vector512<float> c4_1 = default; Vector512<float> c5_1 = default; Vector512<float> c6_1 = default; Vector512<float> c7_1 = default; Vector512<float> c8_1 = default; Vector512<float> c9_1 = default; Vector512<float> c10_1 = default; Vector512<float> c11_1 = default;
        for (int p = 0; p < k; p++)
        {
            Vector512<float> a0 = Vector512.LoadAligned(ap + 0);
            Vector512<float> a1 = Vector512.LoadAligned(ap + 16);
            Vector512<float> b;
            b = Vector512.Create(*(float*)(w0));
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b, c0_0);
            c0_1 = Avx512F.FusedMultiplyAdd(a1, b, c0_1);
            b = Vector512.Create(*(float*)(w0 + stride));
            c1_0 = Avx512F.FusedMultiplyAdd(a0, b, c1_0);
            c1_1 = Avx512F.FusedMultiplyAdd(a1, b, c1_1);
            b = Vector512.Create(*(float*)(w0 + 2 * stride));
            c2_0 = Avx512F.FusedMultiplyAdd(a0, b, c2_0);
            c2_1 = Avx512F.FusedMultiplyAdd(a1, b, c2_1);
            b = Vector512.Create(*(float*)(w1));
            c3_0 = Avx512F.FusedMultiplyAdd(a0, b, c3_0);
            c3_1 = Avx512F.FusedMultiplyAdd(a1, b, c3_1);
            b = Vector512.Create(*(float*)(w1 + stride));
            c4_0 = Avx512F.FusedMultiplyAdd(a0, b, c4_0);
            c4_1 = Avx512F.FusedMultiplyAdd(a1, b, c4_1);
            b = Vector512.Create(*(float*)(w1 + 2 * stride));
            c5_0 = Avx512F.FusedMultiplyAdd(a0, b, c5_0);
            c5_1 = Avx512F.FusedMultiplyAdd(a1, b, c5_1);
            b = Vector512.Create(*(float*)(w2));
            c6_0 = Avx512F.FusedMultiplyAdd(a0, b, c6_0);
            c6_1 = Avx512F.FusedMultiplyAdd(a1, b, c6_1);
            b = Vector512.Create(*(float*)(w2 + stride));
            c7_0 = Avx512F.FusedMultiplyAdd(a0, b, c7_0);
            c7_1 = Avx512F.FusedMultiplyAdd(a1, b, c7_1);
            b = Vector512.Create(*(float*)(w2 + 2 * stride));
            c8_0 = Avx512F.FusedMultiplyAdd(a0, b, c8_0);
            c8_1 = Avx512F.FusedMultiplyAdd(a1, b, c8_1);
            b = Vector512.Create(*(float*)(w3));
            c9_0 = Avx512F.FusedMultiplyAdd(a0, b, c9_0);
            c9_1 = Avx512F.FusedMultiplyAdd(a1, b, c9_1);
            b = Vector512.Create(*(float*)(w3 + stride));
            c10_0 = Avx512F.FusedMultiplyAdd(a0, b, c10_0);
            c10_1 = Avx512F.FusedMultiplyAdd(a1, b, c10_1);
            b = Vector512.Create(*(float*)(w3 + 2 * stride));
            c11_0 = Avx512F.FusedMultiplyAdd(a0, b, c11_0);
            c11_1 = Avx512F.FusedMultiplyAdd(a1, b, c11_1);
            ap += 32;
            w0 += sizeof(float);
            w1 += sizeof(float);
            w2 += sizeof(float);
            w3 += sizeof(float);
        }

        c0_0.Store(tile + 0);
        c0_1.Store(tile + 16);
        c1_0.Store(tile + 32);
        c1_1.Store(tile + 48);
        c2_0.Store(tile + 64);
        c2_1.Store(tile + 80);
        c3_0.Store(tile + 96);
        c3_1.Store(tile + 112);
        c4_0.Store(tile + 128);
        c4_1.Store(tile + 144);
        c5_0.Store(tile + 160);
        c5_1.Store(tile + 176);
        c6_0.Store(tile + 192);
        c6_1.Store(tile + 208);
        c7_0.Store(tile + 224);
        c7_1.Store(tile + 240);
        c8_0.Store(tile + 256);
        c8_1.Store(tile + 272);
        c9_0.Store(tile + 288);
        c9_1.Store(tile + 304);
        c10_0.Store(tile + 320);
        c10_1.Store(tile + 336);
        c11_0.Store(tile + 352);
        c11_1.Store(tile + 368);
    }

    /// <summary>48 rows of A × 8 W rows: 24 accumulators; see the class summary.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile3x8(float* ap, float* w, long ldw, int k, float* tile)
    {
        // W rows are reached from a few base pointers plus 1× or 2× the row stride, which x64
        // addressing folds into the broadcast; that keeps the pointer count within the registers.
        long stride = ldw * sizeof(float);
        byte* w0 = (byte*)(w + 0 * ldw);
        byte* w1 = (byte*)(w + 3 * ldw);
        byte* w2 = (byte*)(w + 6 * ldw);
        Vector512<float> c0_0 = default; Vector512<float> c1_0 = default; Vector512<float> c2_0 = default; Vector512<float> c3_0 = default; Vector512<float> c4_0 = default; Vector512<float> c5_0 = default; Vector512<float> c6_0 = default; Vector512<float> c7_0 = default;
        Vector512<float> c0_1 = default; Vector512<float> c1_1 = default; Vector512<float> c2_1 = default; Vector512<float> c3_1 = default; Vector512<float> c4_1 = default; Vector512<float> c5_1 = default; Vector512<float> c6_1 = default; Vector512<float> c7_1 = default;
        Vector512<float> c0_2 = default; Vector512<float> c1_2 = default; Vector512<float> c2_2 = default; Vector512<float> c3_2 = default; Vector512<float> c4_2 = default; Vector512<float> c5_2 = default; Vector512<float> c6_2 = default; Vector512<float> c7_2 = default;
        for (int p = 0; p < k; p++)
        {
            Vector512<float> a0 = Vector512.LoadAligned(ap + 0);
            Vector512<float> a1 = Vector512.LoadAligned(ap + 16);
            Vector512<float> a2 = Vector512.LoadAligned(ap + 32);
            Vector512<float> b;
            b = Vector512.Create(*(float*)(w0));
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b, c0_0);
            c0_1 = Avx512F.FusedMultiplyAdd(a1, b, c0_1);
            c0_2 = Avx512F.FusedMultiplyAdd(a2, b, c0_2);
            b = Vector512.Create(*(float*)(w0 + stride));
            c1_0 = Avx512F.FusedMultiplyAdd(a0, b, c1_0);
            c1_1 = Avx512F.FusedMultiplyAdd(a1, b, c1_1);
            c1_2 = Avx512F.FusedMultiplyAdd(a2, b, c1_2);
            b = Vector512.Create(*(float*)(w0 + 2 * stride));
            c2_0 = Avx512F.FusedMultiplyAdd(a0, b, c2_0);
            c2_1 = Avx512F.FusedMultiplyAdd(a1, b, c2_1);
            c2_2 = Avx512F.FusedMultiplyAdd(a2, b, c2_2);
            b = Vector512.Create(*(float*)(w1));
            c3_0 = Avx512F.FusedMultiplyAdd(a0, b, c3_0);
            c3_1 = Avx512F.FusedMultiplyAdd(a1, b, c3_1);
            c3_2 = Avx512F.FusedMultiplyAdd(a2, b, c3_2);
            b = Vector512.Create(*(float*)(w1 + stride));
            c4_0 = Avx512F.FusedMultiplyAdd(a0, b, c4_0);
            c4_1 = Avx512F.FusedMultiplyAdd(a1, b, c4_1);
            c4_2 = Avx512F.FusedMultiplyAdd(a2, b, c4_2);
            b = Vector512.Create(*(float*)(w1 + 2 * stride));
            c5_0 = Avx512F.FusedMultiplyAdd(a0, b, c5_0);
            c5_1 = Avx512F.FusedMultiplyAdd(a1, b, c5_1);
            c5_2 = Avx512F.FusedMultiplyAdd(a2, b, c5_2);
            b = Vector512.Create(*(float*)(w2));
            c6_0 = Avx512F.FusedMultiplyAdd(a0, b, c6_0);
            c6_1 = Avx512F.FusedMultiplyAdd(a1, b, c6_1);
            c6_2 = Avx512F.FusedMultiplyAdd(a2, b, c6_2);
            b = Vector512.Create(*(float*)(w2 + stride));
            c7_0 = Avx512F.FusedMultiplyAdd(a0, b, c7_0);
            c7_1 = Avx512F.FusedMultiplyAdd(a1, b, c7_1);
            c7_2 = Avx512F.FusedMultiplyAdd(a2, b, c7_2);
            ap += 48;
            w0 += sizeof(float);
            w1 += sizeof(float);
            w2 += sizeof(float);
        }

        c0_0.Store(tile + 0);
        c0_1.Store(tile + 16);
        c0_2.Store(tile + 32);
        c1_0.Store(tile + 48);
        c1_1.Store(tile + 64);
        c1_2.Store(tile + 80);
        c2_0.Store(tile + 96);
        c2_1.Store(tile + 112);
        c2_2.Store(tile + 128);
        c3_0.Store(tile + 144);
        c3_1.Store(tile + 160);
        c3_2.Store(tile + 176);
        c4_0.Store(tile + 192);
        c4_1.Store(tile + 208);
        c4_2.Store(tile + 224);
        c5_0.Store(tile + 240);
        c5_1.Store(tile + 256);
        c5_2.Store(tile + 272);
        c6_0.Store(tile + 288);
        c6_1.Store(tile + 304);
        c6_2.Store(tile + 320);
        c7_0.Store(tile + 336);
        c7_1.Store(tile + 352);
        c7_2.Store(tile + 368);
    }

    /// <summary>64 rows of A × 6 W rows: 24 accumulators; see the class summary.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x6(float* ap, float* w, long ldw, int k, float* tile)
    {
        // W rows are reached from a few base pointers plus 1× or 2× the row stride, which x64
        // addressing folds into the broadcast; that keeps the pointer count within the registers.
        long stride = ldw * sizeof(float);
        byte* w0 = (byte*)(w + 0 * ldw);
        byte* w1 = (byte*)(w + 3 * ldw);
        Vector512<float> c0_0 = default; Vector512<float> c1_0 = default; Vector512<float> c2_0 = default; Vector512<float> c3_0 = default; Vector512<float> c4_0 = default; Vector512<float> c5_0 = default;
        Vector512<float> c0_1 = default; Vector512<float> c1_1 = default; Vector512<float> c2_1 = default; Vector512<float> c3_1 = default; Vector512<float> c4_1 = default; Vector512<float> c5_1 = default;
        Vector512<float> c0_2 = default; Vector512<float> c1_2 = default; Vector512<float> c2_2 = default; Vector512<float> c3_2 = default; Vector512<float> c4_2 = default; Vector512<float> c5_2 = default;
        Vector512<float> c0_3 = default; Vector512<float> c1_3 = default; Vector512<float> c2_3 = default; Vector512<float> c3_3 = default; Vector512<float> c4_3 = default; Vector512<float> c5_3 = default;
        for (int p = 0; p < k; p++)
        {
            Vector512<float> a0 = Vector512.LoadAligned(ap + 0);
            Vector512<float> a1 = Vector512.LoadAligned(ap + 16);
            Vector512<float> a2 = Vector512.LoadAligned(ap + 32);
            Vector512<float> a3 = Vector512.LoadAligned(ap + 48);
            Vector512<float> b;
            b = Vector512.Create(*(float*)(w0));
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b, c0_0);
            c0_1 = Avx512F.FusedMultiplyAdd(a1, b, c0_1);
            c0_2 = Avx512F.FusedMultiplyAdd(a2, b, c0_2);
            c0_3 = Avx512F.FusedMultiplyAdd(a3, b, c0_3);
            b = Vector512.Create(*(float*)(w0 + stride));
            c1_0 = Avx512F.FusedMultiplyAdd(a0, b, c1_0);
            c1_1 = Avx512F.FusedMultiplyAdd(a1, b, c1_1);
            c1_2 = Avx512F.FusedMultiplyAdd(a2, b, c1_2);
            c1_3 = Avx512F.FusedMultiplyAdd(a3, b, c1_3);
            b = Vector512.Create(*(float*)(w0 + 2 * stride));
            c2_0 = Avx512F.FusedMultiplyAdd(a0, b, c2_0);
            c2_1 = Avx512F.FusedMultiplyAdd(a1, b, c2_1);
            c2_2 = Avx512F.FusedMultiplyAdd(a2, b, c2_2);
            c2_3 = Avx512F.FusedMultiplyAdd(a3, b, c2_3);
            b = Vector512.Create(*(float*)(w1));
            c3_0 = Avx512F.FusedMultiplyAdd(a0, b, c3_0);
            c3_1 = Avx512F.FusedMultiplyAdd(a1, b, c3_1);
            c3_2 = Avx512F.FusedMultiplyAdd(a2, b, c3_2);
            c3_3 = Avx512F.FusedMultiplyAdd(a3, b, c3_3);
            b = Vector512.Create(*(float*)(w1 + stride));
            c4_0 = Avx512F.FusedMultiplyAdd(a0, b, c4_0);
            c4_1 = Avx512F.FusedMultiplyAdd(a1, b, c4_1);
            c4_2 = Avx512F.FusedMultiplyAdd(a2, b, c4_2);
            c4_3 = Avx512F.FusedMultiplyAdd(a3, b, c4_3);
            b = Vector512.Create(*(float*)(w1 + 2 * stride));
            c5_0 = Avx512F.FusedMultiplyAdd(a0, b, c5_0);
            c5_1 = Avx512F.FusedMultiplyAdd(a1, b, c5_1);
            c5_2 = Avx512F.FusedMultiplyAdd(a2, b, c5_2);
            c5_3 = Avx512F.FusedMultiplyAdd(a3, b, c5_3);
            ap += 64;
            w0 += sizeof(float);
            w1 += sizeof(float);
        }

        c0_0.Store(tile + 0);
        c0_1.Store(tile + 16);
        c0_2.Store(tile + 32);
        c0_3.Store(tile + 48);
        c1_0.Store(tile + 64);
        c1_1.Store(tile + 80);
        c1_2.Store(tile + 96);
        c1_3.Store(tile + 112);
        c2_0.Store(tile + 128);
        c2_1.Store(tile + 144);
        c2_2.Store(tile + 160);
        c2_3.Store(tile + 176);
        c3_0.Store(tile + 192);
        c3_1.Store(tile + 208);
        c3_2.Store(tile + 224);
        c3_3.Store(tile + 240);
        c4_0.Store(tile + 256);
        c4_1.Store(tile + 272);
        c4_2.Store(tile + 288);
        c4_3.Store(tile + 304);
        c5_0.Store(tile + 320);
        c5_1.Store(tile + 336);
        c5_2.Store(tile + 352);
        c5_3.Store(tile + 368);
    }
}
