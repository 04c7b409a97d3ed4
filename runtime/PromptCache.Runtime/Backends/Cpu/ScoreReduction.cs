using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// Sixteen horizontal sums at once: vector j holds 16 partial products of key j's dot product, the
/// result holds the 16 totals in key order. A shuffle tree (4 levels, 46 operations) costs about 3
/// operations per key where 16 separate <c>Vector512.Sum</c> calls cost about 10 each.
/// </summary>
internal static class ScoreReduction
{
    // Level 4 leaves key i + 4t at element 4i + t; this gathers element 4(k % 4) + k / 4 into place k.
    private static readonly Vector512<int> Order = Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);

    /// <summary>Element j of the result is the sum of the 16 elements of <paramref name="t0"/>…<paramref name="t15"/>[j].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Reduce16(
        Vector512<float> t0, Vector512<float> t1, Vector512<float> t2, Vector512<float> t3,
        Vector512<float> t4, Vector512<float> t5, Vector512<float> t6, Vector512<float> t7,
        Vector512<float> t8, Vector512<float> t9, Vector512<float> t10, Vector512<float> t11,
        Vector512<float> t12, Vector512<float> t13, Vector512<float> t14, Vector512<float> t15)
    {
        // Level 1 (pairs of keys): 128-bit lanes [a0+a2, a1+a3, b0+b2, b1+b3].
        var c0 = Fold256(t0, t1); var c1 = Fold256(t2, t3); var c2 = Fold256(t4, t5); var c3 = Fold256(t6, t7);
        var c4 = Fold256(t8, t9); var c5 = Fold256(t10, t11); var c6 = Fold256(t12, t13); var c7 = Fold256(t14, t15);
        // Level 2: one key per 128-bit lane (4 partials each).
        var e0 = Fold128(c0, c1); var e1 = Fold128(c2, c3); var e2 = Fold128(c4, c5); var e3 = Fold128(c6, c7);
        // Level 3: lane i holds keys i and i + 4 (2 partials each), resp. 8 + i and 12 + i.
        var f = Avx512F.UnpackLow(e0.AsDouble(), e1.AsDouble()).AsSingle() + Avx512F.UnpackHigh(e0.AsDouble(), e1.AsDouble()).AsSingle();
        var g = Avx512F.UnpackLow(e2.AsDouble(), e3.AsDouble()).AsSingle() + Avx512F.UnpackHigh(e2.AsDouble(), e3.AsDouble()).AsSingle();
        // Level 4: lane i holds the totals of keys i, i + 4, i + 8, i + 12.
        var s = Avx512F.Shuffle(f, g, 0x88) + Avx512F.Shuffle(f, g, 0xDD);
        return Avx512F.PermuteVar16x32(s, Order);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fold256(Vector512<float> a, Vector512<float> b) =>
        Avx512F.Shuffle4x128(a, b, 0x44) + Avx512F.Shuffle4x128(a, b, 0xEE);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fold128(Vector512<float> a, Vector512<float> b) =>
        Avx512F.Shuffle4x128(a, b, 0x88) + Avx512F.Shuffle4x128(a, b, 0xDD);
}
