using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// AVX-512 kernels of <see cref="DecodeAttention"/>. They read K/V rows straight from a segment in
/// its storage type through an <see cref="IKvLoader"/>, converting in registers; head_dim is a
/// multiple of 16. Key rows are <c>stride</c> bytes apart (one kv head's slice of each token).
/// </summary>
internal static unsafe class DecodeKernels
{
    private const int Chunk = AttentionKernels.Chunk;

    /// <summary>
    /// scores[j] = post · (q · k_j) for keys [0, count): one query row against rows of keys, 16 keys
    /// at a time, each key's 16 partial products summed by one shuffle tree.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scores1<TKv>(float* q, byte* keys, long stride, int count, int headDim, float post, float* scores)
        where TKv : IKvLoader
    {
        var scale = Vector512.Create(post);
        int j = 0;
        for (; j + 16 <= count; j += 16)
        {
            byte* r = keys + j * stride;
            var t0 = Partial<TKv>(q, r, headDim); var t1 = Partial<TKv>(q, r + stride, headDim);
            var t2 = Partial<TKv>(q, r + 2 * stride, headDim); var t3 = Partial<TKv>(q, r + 3 * stride, headDim);
            var t4 = Partial<TKv>(q, r + 4 * stride, headDim); var t5 = Partial<TKv>(q, r + 5 * stride, headDim);
            var t6 = Partial<TKv>(q, r + 6 * stride, headDim); var t7 = Partial<TKv>(q, r + 7 * stride, headDim);
            var t8 = Partial<TKv>(q, r + 8 * stride, headDim); var t9 = Partial<TKv>(q, r + 9 * stride, headDim);
            var t10 = Partial<TKv>(q, r + 10 * stride, headDim); var t11 = Partial<TKv>(q, r + 11 * stride, headDim);
            var t12 = Partial<TKv>(q, r + 12 * stride, headDim); var t13 = Partial<TKv>(q, r + 13 * stride, headDim);
            var t14 = Partial<TKv>(q, r + 14 * stride, headDim); var t15 = Partial<TKv>(q, r + 15 * stride, headDim);
            (ScoreReduction.Reduce16(t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15) * scale).Store(scores + j);
        }

        for (; j < count; j++)
        {
            scores[j] = Vector512.Sum(Partial<TKv>(q, keys + j * stride, headDim)) * post;
        }
    }

    /// <summary>
    /// Scores of one query row for every kv head of an item, reading each token's K row (all those
    /// heads, adjacent in memory) once and in order: scores[h·scoreStride + j] = q_h · k_j,h for keys
    /// [0, count). q_h is at q + h·qStride. Each token leaves one partial vector per head in
    /// <paramref name="part"/> (heads × 16 vectors); every 16 tokens one shuffle tree per head sums them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScoresHeads<TKv>(float* q, long qStride, byte* keys, long stride, int heads, int count, int headDim,
        float* part, float* scores, int scoreStride)
        where TKv : IKvLoader
    {
        int headBytes = headDim * TKv.ElementBytes;
        for (int g = 0; g < count; g += 16)
        {
            int n = Math.Min(16, count - g);
            for (int j = 0; j < 16; j++)
            {
                byte* row = keys + (g + j) * stride;
                for (int h = 0; h < heads; h++)
                {
                    var t = j < n ? Partial<TKv>(q + h * qStride, row + h * headBytes, headDim) : Vector512<float>.Zero;
                    t.Store(part + (h * 16 + j) * 16);
                }
            }

            for (int h = 0; h < heads; h++)
            {
                float* t = part + h * 256;
                ScoreReduction.Reduce16(
                    Vector512.Load(t), Vector512.Load(t + 16), Vector512.Load(t + 32), Vector512.Load(t + 48),
                    Vector512.Load(t + 64), Vector512.Load(t + 80), Vector512.Load(t + 96), Vector512.Load(t + 112),
                    Vector512.Load(t + 128), Vector512.Load(t + 144), Vector512.Load(t + 160), Vector512.Load(t + 176),
                    Vector512.Load(t + 192), Vector512.Load(t + 208), Vector512.Load(t + 224), Vector512.Load(t + 240))
                    .Store(scores + h * scoreStride + g);
            }
        }
    }

    /// <summary>
    /// acc_h += Σ_j p_h[j] · v_j,h for every kv head of an item and values [0, count), reading each
    /// token's V row once and in order, two tokens per pass. p_h at p + h·pStride, acc_h at acc + h·accStride.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateHeads<TKv>(float* p, int pStride, byte* values, long stride, int heads, int count, int headDim,
        float* acc, int accStride)
        where TKv : IKvLoader
    {
        int headBytes = headDim * TKv.ElementBytes;
        int j = 0;
        for (; j + 2 <= count; j += 2)
        {
            byte* r0 = values + j * stride, r1 = r0 + stride;
            for (int h = 0; h < heads; h++)
            {
                var w0 = Vector512.Create(p[h * pStride + j]);
                var w1 = Vector512.Create(p[h * pStride + j + 1]);
                float* o = acc + h * accStride;
                byte* a0 = r0 + h * headBytes, a1 = r1 + h * headBytes;
                for (int d = 0; d < headDim; d += 16)
                {
                    var x = Avx512F.FusedMultiplyAdd(w0, TKv.Load16(a0, d), Vector512.Load(o + d));
                    Avx512F.FusedMultiplyAdd(w1, TKv.Load16(a1, d), x).Store(o + d);
                }
            }
        }

        if (j < count)
        {
            byte* r0 = values + j * stride;
            for (int h = 0; h < heads; h++)
            {
                var w0 = Vector512.Create(p[h * pStride + j]);
                float* o = acc + h * accStride;
                for (int d = 0; d < headDim; d += 16)
                {
                    Avx512F.FusedMultiplyAdd(w0, TKv.Load16(r0 + h * headBytes, d), Vector512.Load(o + d)).Store(o + d);
                }
            }
        }
    }

    // The 16 lane-wise partial sums of q · row.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Partial<TKv>(float* q, byte* row, int headDim)
        where TKv : IKvLoader
    {
        var t = Vector512.Load(q) * TKv.Load16(row, 0);
        for (int d = 16; d < headDim; d += 16)
        {
            t = Avx512F.FusedMultiplyAdd(Vector512.Load(q + d), TKv.Load16(row, d), t);
        }

        return t;
    }

    /// <summary>
    /// acc[0..headDim) += Σ_j p[j] · v_j over values [0, count): one row, 64 dimensions per pass with
    /// two keys in flight (eight independent FMA chains).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateRow1<TKv>(float* p, int count, byte* values, long stride, int headDim, float* acc)
        where TKv : IKvLoader
    {
        int d = 0;
        for (; d + 64 <= headDim; d += 64)
        {
            var a0 = Vector512.Load(acc + d); var a1 = Vector512.Load(acc + d + 16);
            var a2 = Vector512.Load(acc + d + 32); var a3 = Vector512.Load(acc + d + 48);
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
            int j = 0;
            for (; j + 2 <= count; j += 2)
            {
                byte* r = values + j * stride;
                var w = Vector512.Create(p[j]);
                a0 = Avx512F.FusedMultiplyAdd(w, TKv.Load16(r, d), a0);
                a1 = Avx512F.FusedMultiplyAdd(w, TKv.Load16(r, d + 16), a1);
                a2 = Avx512F.FusedMultiplyAdd(w, TKv.Load16(r, d + 32), a2);
                a3 = Avx512F.FusedMultiplyAdd(w, TKv.Load16(r, d + 48), a3);
                r += stride;
                w = Vector512.Create(p[j + 1]);
                b0 = Avx512F.FusedMultiplyAdd(w, TKv.Load16(r, d), b0);
                b1 = Avx512F.FusedMultiplyAdd(w, TKv.Load16(r, d + 16), b1);
                b2 = Avx512F.FusedMultiplyAdd(w, TKv.Load16(r, d + 32), b2);
                b3 = Avx512F.FusedMultiplyAdd(w, TKv.Load16(r, d + 48), b3);
            }

            if (j < count)
            {
                byte* r = values + j * stride;
                var w = Vector512.Create(p[j]);
                a0 = Avx512F.FusedMultiplyAdd(w, TKv.Load16(r, d), a0);
                a1 = Avx512F.FusedMultiplyAdd(w, TKv.Load16(r, d + 16), a1);
                a2 = Avx512F.FusedMultiplyAdd(w, TKv.Load16(r, d + 32), a2);
                a3 = Avx512F.FusedMultiplyAdd(w, TKv.Load16(r, d + 48), a3);
            }

            (a0 + b0).Store(acc + d); (a1 + b1).Store(acc + d + 16);
            (a2 + b2).Store(acc + d + 32); (a3 + b3).Store(acc + d + 48);
        }

        for (; d < headDim; d += 16)
        {
            var a = Vector512.Load(acc + d);
            Vector512<float> b = default;
            int j = 0;
            for (; j + 2 <= count; j += 2)
            {
                a = Avx512F.FusedMultiplyAdd(Vector512.Create(p[j]), TKv.Load16(values + j * stride, d), a);
                b = Avx512F.FusedMultiplyAdd(Vector512.Create(p[j + 1]), TKv.Load16(values + (j + 1) * stride, d), b);
            }

            if (j < count)
            {
                a = Avx512F.FusedMultiplyAdd(Vector512.Create(p[j]), TKv.Load16(values + j * stride, d), a);
            }

            (a + b).Store(acc + d);
        }
    }

    /// <summary>
    /// kt[d][j] = k_j[d] as f32 for keys [0, count) of a 64-key chunk, zero for the rest: the layout
    /// <see cref="AttentionKernels.Scores4"/> reads. Full groups of 16 keys are converted and turned
    /// 16×16 in registers; a last partial group goes through <paramref name="tail"/> (16 × headDim floats).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransposeKeys<TKv>(byte* keys, long stride, int count, int headDim, float* kt, float* tail)
        where TKv : IKvLoader
    {
        int j = 0;
        for (; j + 16 <= count; j += 16)
        {
            Transpose16Rows<TKv>(keys + j * stride, stride, headDim, kt + j);
        }

        if (j < count)
        {
            int n = count - j;
            ConvertRows<TKv>(keys + j * stride, stride, n, headDim, tail);
            new Span<float>(tail + n * headDim, (16 - n) * headDim).Clear();
            Transpose16Rows<F32Kv>((byte*)tail, headDim * sizeof(float), headDim, kt + j);
            j += 16;
        }

        for (; j < Chunk; j += 16)
        {
            for (int d = 0; d < headDim; d++) new Span<float>(kt + d * Chunk + j, 16).Clear();
        }
    }

    // 16 rows of keys → 16 columns of kt (64 floats apart), 16 dimensions at a time.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16Rows<TKv>(byte* r, long stride, int headDim, float* kt)
        where TKv : IKvLoader
    {
        for (int d = 0; d < headDim; d += 16)
        {
            Transpose16.Store<TKv>(r, stride, d, kt + d * Chunk, Chunk);
        }
    }

    /// <summary>
    /// Asks for rows [0, count) (each <paramref name="rowBytes"/> long, <paramref name="stride"/> apart)
    /// to be brought into the caches: one head's slice of consecutive tokens is a short run every
    /// kv_dim values, a pattern the hardware prefetchers follow poorly.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(byte* rows, long stride, int count, int rowBytes)
    {
        for (int j = 0; j < count; j++)
        {
            byte* r = rows + j * stride;
            for (int b = 0; b < rowBytes; b += 64) Sse.Prefetch0(r + b);
        }
    }

    /// <summary>dst[j][0..headDim) = v_j as f32 for values [0, count), rows headDim floats apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ConvertRows<TKv>(byte* values, long stride, int count, int headDim, float* dst)
        where TKv : IKvLoader
    {
        for (int j = 0; j < count; j++)
        {
            byte* r = values + j * stride;
            float* o = dst + (long)j * headDim;
            for (int d = 0; d < headDim; d += 16)
            {
                TKv.Load16(r, d).Store(o + d);
            }
        }
    }
}
