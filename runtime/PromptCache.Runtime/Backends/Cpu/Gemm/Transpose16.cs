using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// In-register 16×16 transpose of floats: W is stored row by row, the micro-kernel wants it column
/// by column, and doing the turn with 64 shuffles is several times cheaper than 256 scalar moves.
/// Written with named locals (not arrays) so that everything stays in the 32 zmm registers.
/// </summary>
internal static unsafe class Transpose16
{
    /// <summary>
    /// Loads 16 values (from <paramref name="p"/>) of each of the 16 rows at <paramref name="rows"/>
    /// (<paramref name="rowStride"/> bytes apart) through <typeparamref name="TLoader"/>, transposes
    /// them and stores column t (the t-th value of every row) at <c>dst + t·stride</c>.
    /// </summary>
    /// <remarks>
    /// Rows are loaded here rather than passed in: a method with 16 vector parameters is never
    /// inlined by the JIT and gets its arguments through the stack (measured: a transposing
    /// decode-attention chunk spent 57 ns per key on that call, 4× all its arithmetic).
    /// </remarks>
    // Too large for the JIT to inline; AggressiveOptimization skips the slow tier-0 copy (measured
    // 15× slower for its first calls), so every caller gets the register-resident version at once.
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Store<TLoader>(byte* rows, long rowStride, int p, float* dst, long stride)
        where TLoader : IWeightLoader512
    {
        Vector512<float> r0 = TLoader.Load16(rows, p), r1 = TLoader.Load16(rows + rowStride, p);
        Vector512<float> r2 = TLoader.Load16(rows + 2 * rowStride, p), r3 = TLoader.Load16(rows + 3 * rowStride, p);
        Vector512<float> r4 = TLoader.Load16(rows + 4 * rowStride, p), r5 = TLoader.Load16(rows + 5 * rowStride, p);
        Vector512<float> r6 = TLoader.Load16(rows + 6 * rowStride, p), r7 = TLoader.Load16(rows + 7 * rowStride, p);
        Vector512<float> r8 = TLoader.Load16(rows + 8 * rowStride, p), r9 = TLoader.Load16(rows + 9 * rowStride, p);
        Vector512<float> r10 = TLoader.Load16(rows + 10 * rowStride, p), r11 = TLoader.Load16(rows + 11 * rowStride, p);
        Vector512<float> r12 = TLoader.Load16(rows + 12 * rowStride, p), r13 = TLoader.Load16(rows + 13 * rowStride, p);
        Vector512<float> r14 = TLoader.Load16(rows + 14 * rowStride, p), r15 = TLoader.Load16(rows + 15 * rowStride, p);

        // Stage 1: interleave pairs of rows at 32-bit granularity (within each 128-bit lane).
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1);
        Vector512<float> t1 = Avx512F.UnpackHigh(r0, r1);
        Vector512<float> t2 = Avx512F.UnpackLow(r2, r3);
        Vector512<float> t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<float> t4 = Avx512F.UnpackLow(r4, r5);
        Vector512<float> t5 = Avx512F.UnpackHigh(r4, r5);
        Vector512<float> t6 = Avx512F.UnpackLow(r6, r7);
        Vector512<float> t7 = Avx512F.UnpackHigh(r6, r7);
        Vector512<float> t8 = Avx512F.UnpackLow(r8, r9);
        Vector512<float> t9 = Avx512F.UnpackHigh(r8, r9);
        Vector512<float> t10 = Avx512F.UnpackLow(r10, r11);
        Vector512<float> t11 = Avx512F.UnpackHigh(r10, r11);
        Vector512<float> t12 = Avx512F.UnpackLow(r12, r13);
        Vector512<float> t13 = Avx512F.UnpackHigh(r12, r13);
        Vector512<float> t14 = Avx512F.UnpackLow(r14, r15);
        Vector512<float> t15 = Avx512F.UnpackHigh(r14, r15);

        // Stage 2: interleave at 64-bit granularity. Now, for the group of rows 4G..4G+3, vector
        // u(4G+s) holds in its 128-bit lane L those four rows' values of column 4L+s.
        Vector512<float> u0 = Avx512F.UnpackLow(t0.AsDouble(), t2.AsDouble()).AsSingle();
        Vector512<float> u1 = Avx512F.UnpackHigh(t0.AsDouble(), t2.AsDouble()).AsSingle();
        Vector512<float> u2 = Avx512F.UnpackLow(t1.AsDouble(), t3.AsDouble()).AsSingle();
        Vector512<float> u3 = Avx512F.UnpackHigh(t1.AsDouble(), t3.AsDouble()).AsSingle();
        Vector512<float> u4 = Avx512F.UnpackLow(t4.AsDouble(), t6.AsDouble()).AsSingle();
        Vector512<float> u5 = Avx512F.UnpackHigh(t4.AsDouble(), t6.AsDouble()).AsSingle();
        Vector512<float> u6 = Avx512F.UnpackLow(t5.AsDouble(), t7.AsDouble()).AsSingle();
        Vector512<float> u7 = Avx512F.UnpackHigh(t5.AsDouble(), t7.AsDouble()).AsSingle();
        Vector512<float> u8 = Avx512F.UnpackLow(t8.AsDouble(), t10.AsDouble()).AsSingle();
        Vector512<float> u9 = Avx512F.UnpackHigh(t8.AsDouble(), t10.AsDouble()).AsSingle();
        Vector512<float> u10 = Avx512F.UnpackLow(t9.AsDouble(), t11.AsDouble()).AsSingle();
        Vector512<float> u11 = Avx512F.UnpackHigh(t9.AsDouble(), t11.AsDouble()).AsSingle();
        Vector512<float> u12 = Avx512F.UnpackLow(t12.AsDouble(), t14.AsDouble()).AsSingle();
        Vector512<float> u13 = Avx512F.UnpackHigh(t12.AsDouble(), t14.AsDouble()).AsSingle();
        Vector512<float> u14 = Avx512F.UnpackLow(t13.AsDouble(), t15.AsDouble()).AsSingle();
        Vector512<float> u15 = Avx512F.UnpackHigh(t13.AsDouble(), t15.AsDouble()).AsSingle();

        // Stages 3-4: collect lane L of the four groups. 0x88 picks lanes 0,2 of each operand and
        // 0xDD lanes 1,3; applied twice this routes lane L of group G to lane G of column 4L+s.
        Vector512<float> v01, w01, v23, w23;
        v01 = Avx512F.Shuffle4x128(u0, u4, 0x88);
        w01 = Avx512F.Shuffle4x128(u0, u4, 0xDD);
        v23 = Avx512F.Shuffle4x128(u8, u12, 0x88);
        w23 = Avx512F.Shuffle4x128(u8, u12, 0xDD);
        Avx512F.Shuffle4x128(v01, v23, 0x88).Store(dst + 0 * stride);
        Avx512F.Shuffle4x128(w01, w23, 0x88).Store(dst + 4 * stride);
        Avx512F.Shuffle4x128(v01, v23, 0xDD).Store(dst + 8 * stride);
        Avx512F.Shuffle4x128(w01, w23, 0xDD).Store(dst + 12 * stride);
        v01 = Avx512F.Shuffle4x128(u1, u5, 0x88);
        w01 = Avx512F.Shuffle4x128(u1, u5, 0xDD);
        v23 = Avx512F.Shuffle4x128(u9, u13, 0x88);
        w23 = Avx512F.Shuffle4x128(u9, u13, 0xDD);
        Avx512F.Shuffle4x128(v01, v23, 0x88).Store(dst + 1 * stride);
        Avx512F.Shuffle4x128(w01, w23, 0x88).Store(dst + 5 * stride);
        Avx512F.Shuffle4x128(v01, v23, 0xDD).Store(dst + 9 * stride);
        Avx512F.Shuffle4x128(w01, w23, 0xDD).Store(dst + 13 * stride);
        v01 = Avx512F.Shuffle4x128(u2, u6, 0x88);
        w01 = Avx512F.Shuffle4x128(u2, u6, 0xDD);
        v23 = Avx512F.Shuffle4x128(u10, u14, 0x88);
        w23 = Avx512F.Shuffle4x128(u10, u14, 0xDD);
        Avx512F.Shuffle4x128(v01, v23, 0x88).Store(dst + 2 * stride);
        Avx512F.Shuffle4x128(w01, w23, 0x88).Store(dst + 6 * stride);
        Avx512F.Shuffle4x128(v01, v23, 0xDD).Store(dst + 10 * stride);
        Avx512F.Shuffle4x128(w01, w23, 0xDD).Store(dst + 14 * stride);
        v01 = Avx512F.Shuffle4x128(u3, u7, 0x88);
        w01 = Avx512F.Shuffle4x128(u3, u7, 0xDD);
        v23 = Avx512F.Shuffle4x128(u11, u15, 0x88);
        w23 = Avx512F.Shuffle4x128(u11, u15, 0xDD);
        Avx512F.Shuffle4x128(v01, v23, 0x88).Store(dst + 3 * stride);
        Avx512F.Shuffle4x128(w01, w23, 0x88).Store(dst + 7 * stride);
        Avx512F.Shuffle4x128(v01, v23, 0xDD).Store(dst + 11 * stride);
        Avx512F.Shuffle4x128(w01, w23, 0xDD).Store(dst + 15 * stride);
    }
}
