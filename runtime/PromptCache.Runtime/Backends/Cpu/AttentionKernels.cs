using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// Register-blocked AVX-512 kernels of the prefill attention: four query rows at a time against a
/// chunk of 64 keys, so each load of a key or value vector feeds four FMAs.
/// </summary>
internal static unsafe class AttentionKernels
{
    public const int Chunk = 64;

    private static readonly Vector512<float> Lanes = Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

    /// <summary>
    /// One online-softmax step on a 64-wide row of scores: scores[0..visible) become
    /// exp(score − new max), the rest 0; returns the factor earlier sums must be rescaled by.
    /// (TensorPrimitives' per-call overhead dominated on rows this short.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Softmax64(float* s, int visible, ref float runningMax, ref float runningSum)
    {
        float newMax = MathF.Max(runningMax, RowMax(s, visible));
        float correction = MathF.Exp(runningMax - newMax);
        runningSum = runningSum * correction + RowExp(s, visible, newMax);
        runningMax = newMax;
        return correction;
    }

    /// <summary>
    /// <see cref="Softmax64"/> on four consecutive 64-wide rows, as one straight-line body so that the four
    /// rows' max → exp → sum chains overlap: one row at a time left the core waiting on each chain (a
    /// 64×64 tile's softmax took 3.1 µs, against 4.8 µs for its scores). Row i keeps its first
    /// <paramref name="visible"/>[i] scores; a row with none becomes zeros and keeps its running state.
    /// Writes each row's rescale factor for its earlier sums to <paramref name="corrections"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softmax64x4(float* s, int* visible, float* runningMax, float* runningSum, float* corrections)
    {
        float m0 = RowMax(s, visible[0]), m1 = RowMax(s + Chunk, visible[1]), m2 = RowMax(s + 2 * Chunk, visible[2]), m3 = RowMax(s + 3 * Chunk, visible[3]);
        var old = Vector128.Load(runningMax);
        var seen = Vector128.GreaterThan(Vector128.Create(visible[0], visible[1], visible[2], visible[3]), Vector128<int>.Zero).AsSingle();
        // A row with keys here gets a finite new max, and e^(old − new) ≤ 1 (0 while old is −∞); a row
        // without keys keeps its max and a factor of 1 (old − old would be NaN at −∞).
        var fresh = Vector128.ConditionalSelect(seen, Vector128.Max(old, Vector128.Create(m0, m1, m2, m3)), old);
        var factor = Vector128.ConditionalSelect(seen, ExpNonPositive(Vector512.Create(Vector256.Create(old - fresh, Vector128<float>.Zero), Vector256<float>.Zero)).GetLower().GetLower(), Vector128<float>.One);
        var sums = Vector128.Create(
            RowExp(s, visible[0], fresh.GetElement(0)), RowExp(s + Chunk, visible[1], fresh.GetElement(1)),
            RowExp(s + 2 * Chunk, visible[2], fresh.GetElement(2)), RowExp(s + 3 * Chunk, visible[3], fresh.GetElement(3)));
        (Vector128.Load(runningSum) * factor + sums).Store(runningSum);
        fresh.Store(runningMax);
        factor.Store(corrections);
    }

    // The largest of a row's first `visible` scores (−∞ for none).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float RowMax(float* s, int visible)
    {
        var limit = Vector512.Create((float)visible);
        var minusInf = Vector512.Create(float.NegativeInfinity);
        var v0 = Vector512.ConditionalSelect(Vector512.LessThan(Lanes, limit), Vector512.Load(s), minusInf);
        var v1 = Vector512.ConditionalSelect(Vector512.LessThan(Lanes + Vector512.Create(16f), limit), Vector512.Load(s + 16), minusInf);
        var v2 = Vector512.ConditionalSelect(Vector512.LessThan(Lanes + Vector512.Create(32f), limit), Vector512.Load(s + 32), minusInf);
        var v3 = Vector512.ConditionalSelect(Vector512.LessThan(Lanes + Vector512.Create(48f), limit), Vector512.Load(s + 48), minusInf);
        var mx = Vector512.Max(Vector512.Max(v0, v1), Vector512.Max(v2, v3));
        var m128 = Vector128.Max(Vector256.Max(mx.GetLower(), mx.GetUpper()).GetLower(), Vector256.Max(mx.GetLower(), mx.GetUpper()).GetUpper());
        return MathF.Max(MathF.Max(m128.GetElement(0), m128.GetElement(1)), MathF.Max(m128.GetElement(2), m128.GetElement(3)));
    }

    // Scores [0, visible) become e^(score − max), the rest 0 (all 0 when visible is 0); returns their sum.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float RowExp(float* s, int visible, float max)
    {
        var limit = Vector512.Create((float)visible);
        var shift = Vector512.Create(visible > 0 ? max : 0f);
        var v0 = Vector512.ConditionalSelect(Vector512.LessThan(Lanes, limit), ExpNonPositive(Vector512.Load(s) - shift), Vector512<float>.Zero);
        var v1 = Vector512.ConditionalSelect(Vector512.LessThan(Lanes + Vector512.Create(16f), limit), ExpNonPositive(Vector512.Load(s + 16) - shift), Vector512<float>.Zero);
        var v2 = Vector512.ConditionalSelect(Vector512.LessThan(Lanes + Vector512.Create(32f), limit), ExpNonPositive(Vector512.Load(s + 32) - shift), Vector512<float>.Zero);
        var v3 = Vector512.ConditionalSelect(Vector512.LessThan(Lanes + Vector512.Create(48f), limit), ExpNonPositive(Vector512.Load(s + 48) - shift), Vector512<float>.Zero);
        v0.Store(s); v1.Store(s + 16); v2.Store(s + 32); v3.Store(s + 48);
        return Vector512.Sum((v0 + v1) + (v2 + v3));
    }

    /// <summary>
    /// e^x for x ≤ 0 (−∞ gives 0): <see cref="ElementwiseKernels.Exp"/> on x clamped at −87, and 0 below −87.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ExpNonPositive(Vector512<float> x)
    {
        var underflow = Vector512.LessThan(x, Vector512.Create(-87f));
        var e = ElementwiseKernels.Exp(Vector512.Max(x, Vector512.Create(-87f)));
        return Vector512.ConditionalSelect(underflow, Vector512<float>.Zero, e);
    }

    /// <summary>acc[0..headDim) *= factor.</summary>
    public static void Scale(float* acc, int headDim, float factor)
    {
        var f = Vector512.Create(factor);
        for (int d = 0; d < headDim; d += 16) (Vector512.Load(acc + d) * f).Store(acc + d);
    }

    /// <summary>
    /// s[r][0..64) = q[r] · kt[·][0..64) for rows r0..r0+3. q rows are contiguous (head_dim apart),
    /// kt is the chunk's keys transposed to [head_dim][64], s rows are 64 apart.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scores4(float* q, int headDim, float* kt, float* s)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        float* q0 = q, q1 = q + headDim, q2 = q + 2 * headDim, q3 = q + 3 * headDim;
        for (int d = 0; d < headDim; d++)
        {
            float* k = kt + d * Chunk;
            var k0 = Vector512.Load(k); var k1 = Vector512.Load(k + 16); var k2 = Vector512.Load(k + 32); var k3 = Vector512.Load(k + 48);
            var b = Vector512.Create(q0[d]);
            a00 = Vector512.FusedMultiplyAdd(b, k0, a00); a01 = Vector512.FusedMultiplyAdd(b, k1, a01); a02 = Vector512.FusedMultiplyAdd(b, k2, a02); a03 = Vector512.FusedMultiplyAdd(b, k3, a03);
            b = Vector512.Create(q1[d]);
            a10 = Vector512.FusedMultiplyAdd(b, k0, a10); a11 = Vector512.FusedMultiplyAdd(b, k1, a11); a12 = Vector512.FusedMultiplyAdd(b, k2, a12); a13 = Vector512.FusedMultiplyAdd(b, k3, a13);
            b = Vector512.Create(q2[d]);
            a20 = Vector512.FusedMultiplyAdd(b, k0, a20); a21 = Vector512.FusedMultiplyAdd(b, k1, a21); a22 = Vector512.FusedMultiplyAdd(b, k2, a22); a23 = Vector512.FusedMultiplyAdd(b, k3, a23);
            b = Vector512.Create(q3[d]);
            a30 = Vector512.FusedMultiplyAdd(b, k0, a30); a31 = Vector512.FusedMultiplyAdd(b, k1, a31); a32 = Vector512.FusedMultiplyAdd(b, k2, a32); a33 = Vector512.FusedMultiplyAdd(b, k3, a33);
        }
        a00.Store(s); a01.Store(s + 16); a02.Store(s + 32); a03.Store(s + 48);
        a10.Store(s + 64); a11.Store(s + 80); a12.Store(s + 96); a13.Store(s + 112);
        a20.Store(s + 128); a21.Store(s + 144); a22.Store(s + 160); a23.Store(s + 176);
        a30.Store(s + 192); a31.Store(s + 208); a32.Store(s + 224); a33.Store(s + 240);
    }

    /// <summary>
    /// o[r][d..d+16) += Σ_j p[r][j] · v[j][d..d+16) for rows r0..r0+3 and every 16-wide slice d,
    /// over keys [0, keys). p rows are 64 apart, o rows head_dim apart, v rows <paramref name="vStride"/> apart.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateValues4(float* p, int keys, float* v, int vStride, float* o, int headDim)
    {
        int d = 0;
        for (; d + 64 <= headDim; d += 64)
        {
            float* o0 = o + d, o1 = o0 + headDim, o2 = o1 + headDim, o3 = o2 + headDim;
            var c00 = Vector512.Load(o0); var c01 = Vector512.Load(o0 + 16); var c02 = Vector512.Load(o0 + 32); var c03 = Vector512.Load(o0 + 48);
            var c10 = Vector512.Load(o1); var c11 = Vector512.Load(o1 + 16); var c12 = Vector512.Load(o1 + 32); var c13 = Vector512.Load(o1 + 48);
            var c20 = Vector512.Load(o2); var c21 = Vector512.Load(o2 + 16); var c22 = Vector512.Load(o2 + 32); var c23 = Vector512.Load(o2 + 48);
            var c30 = Vector512.Load(o3); var c31 = Vector512.Load(o3 + 16); var c32 = Vector512.Load(o3 + 32); var c33 = Vector512.Load(o3 + 48);
            for (int j = 0; j < keys; j++)
            {
                float* vr = v + (long)j * vStride + d;
                var v0 = Vector512.Load(vr); var v1 = Vector512.Load(vr + 16); var v2 = Vector512.Load(vr + 32); var v3 = Vector512.Load(vr + 48);
                var b = Vector512.Create(p[j]);
                c00 = Vector512.FusedMultiplyAdd(b, v0, c00); c01 = Vector512.FusedMultiplyAdd(b, v1, c01); c02 = Vector512.FusedMultiplyAdd(b, v2, c02); c03 = Vector512.FusedMultiplyAdd(b, v3, c03);
                b = Vector512.Create(p[Chunk + j]);
                c10 = Vector512.FusedMultiplyAdd(b, v0, c10); c11 = Vector512.FusedMultiplyAdd(b, v1, c11); c12 = Vector512.FusedMultiplyAdd(b, v2, c12); c13 = Vector512.FusedMultiplyAdd(b, v3, c13);
                b = Vector512.Create(p[2 * Chunk + j]);
                c20 = Vector512.FusedMultiplyAdd(b, v0, c20); c21 = Vector512.FusedMultiplyAdd(b, v1, c21); c22 = Vector512.FusedMultiplyAdd(b, v2, c22); c23 = Vector512.FusedMultiplyAdd(b, v3, c23);
                b = Vector512.Create(p[3 * Chunk + j]);
                c30 = Vector512.FusedMultiplyAdd(b, v0, c30); c31 = Vector512.FusedMultiplyAdd(b, v1, c31); c32 = Vector512.FusedMultiplyAdd(b, v2, c32); c33 = Vector512.FusedMultiplyAdd(b, v3, c33);
            }
            c00.Store(o0); c01.Store(o0 + 16); c02.Store(o0 + 32); c03.Store(o0 + 48);
            c10.Store(o1); c11.Store(o1 + 16); c12.Store(o1 + 32); c13.Store(o1 + 48);
            c20.Store(o2); c21.Store(o2 + 16); c22.Store(o2 + 32); c23.Store(o2 + 48);
            c30.Store(o3); c31.Store(o3 + 16); c32.Store(o3 + 32); c33.Store(o3 + 48);
        }
        for (; d < headDim; d += 16)
        {
            float* o0 = o + d;
            var c0 = Vector512.Load(o0); var c1 = Vector512.Load(o0 + headDim); var c2 = Vector512.Load(o0 + 2 * headDim); var c3 = Vector512.Load(o0 + 3 * headDim);
            for (int j = 0; j < keys; j++)
            {
                var vv = Vector512.Load(v + (long)j * vStride + d);
                c0 = Vector512.FusedMultiplyAdd(Vector512.Create(p[j]), vv, c0);
                c1 = Vector512.FusedMultiplyAdd(Vector512.Create(p[Chunk + j]), vv, c1);
                c2 = Vector512.FusedMultiplyAdd(Vector512.Create(p[2 * Chunk + j]), vv, c2);
                c3 = Vector512.FusedMultiplyAdd(Vector512.Create(p[3 * Chunk + j]), vv, c3);
            }
            c0.Store(o0); c1.Store(o0 + headDim); c2.Store(o0 + 2 * headDim); c3.Store(o0 + 3 * headDim);
        }
    }
}
