using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// The path for very few rows of A (decode: m = 1). That case is bound by memory bandwidth, not
/// arithmetic: each W row is read exactly once, converted into an L1-resident f32 row and dotted
/// with every row of A. Workers take chunks of W rows dynamically.
/// </summary>
internal static unsafe class Gemv
{
    /// <summary>Most rows of A this path takes (the AVX-512 loop keeps one accumulator per row).</summary>
    public const int MaxRows = 4;

    /// <summary>
    /// Bytes of W per task: each core then streams runs of ~512 KiB rather than jumping every few
    /// rows. Interleaved A/B on both cores (m = 1): f16 2048→5632 29–31 vs 28–29 GB/s with 32-row
    /// tasks, f32 768→2048 26 vs 25, 768→768 22–25 vs 21–25; 8-row tasks were 25–30 % slower.
    /// </summary>
    private const long TaskBytes = 512 * 1024;

    /// <summary>
    /// Largest |a| for which f16 weights take the 2^112-scaled read: a · 2^112 must stay below the
    /// f32 maximum (2^128) with room for the products' rounding.
    /// </summary>
    private const float ScaledActivationLimit = 32768f;

    /// <summary>
    /// From this k on, m = 1 dots eight W rows per pass over A. A is then over 16 KiB and no longer
    /// stays in L1 beside the W stream, so one A row per W row made the f16 down projection of the
    /// 1.1B (k = 5632) read A from L2 and stream W at only ~20 GB/s; sharing each A load across eight
    /// rows brought it to ~30 GB/s (quiet machine, both cores). Below it one row at a time is as fast
    /// or faster: eight concurrent 4 KiB rows are more streams than the prefetcher follows well.
    /// </summary>
    private const int EightRowMinK = 4096;

    [ThreadStatic]
    private static ScratchBuffer? t_scaledA;

    public static void Run(float* a, int m, int k, void* w, WeightType wType, int n, float* c, GemmPath path)
    {
        long rowBytes = WeightLayout.RowBytes(wType, k);
        // At least two tasks per core, so a core slowed by another process does not stall the call.
        int rowsPerTask = (int)Math.Clamp(TaskBytes / rowBytes, 16, Math.Max(16, n / (2 * Environment.ProcessorCount)));
        // The last quarter of the rows goes in tasks a quarter that size, so the cores finish within a
        // small task of each other: one 512 KiB task is ~35 µs of one core, and a decode step makes ~150
        // of these calls, each ending with one core waiting for the other.
        int headTasks = Math.Max(1, n * 3 / 4 / rowsPerTask), headRows = Math.Min(n, headTasks * rowsPerTask);
        int tailRowsPerTask = Math.Max(8, rowsPerTask / 4);
        int tasks = headTasks + (n - headRows + tailRowsPerTask - 1) / tailRowsPerTask;
        // f16 on AVX-512: read the weights 2^112 too small with 3 integer operations per 16 values
        // (F16ScaledLoader) instead of the 8 of an exact conversion, and scale A by 2^112 instead. A power
        // of two, so every product, and C, is bit-identical to exact conversion; m = 1 with f16 weights
        // is otherwise bound by that conversion rather than by memory.
        bool scaled = false;
        if (wType == WeightType.F16 && path == GemmPath.Vector512 && k % 16 == 0)
        {
            var all = new ReadOnlySpan<float>(a, m * k);
            if (MathF.Abs(TensorPrimitives.MaxMagnitude(all)) < ScaledActivationLimit)
            {
                float* copy = (t_scaledA ??= new ScratchBuffer()).Get((long)m * k);
                TensorPrimitives.Multiply(all, F16ScaledLoader.Scale, new Span<float>(copy, m * k));
                a = copy;
                scaled = true;
            }
        }

        nint an = (nint)a, wn = (nint)w, cn = (nint)c;
        GemmWorkers.For(tasks, t =>
        {
            int j0 = t < headTasks ? t * rowsPerTask : headRows + (t - headTasks) * tailRowsPerTask;
            int j1 = Math.Min(t < headTasks ? j0 + rowsPerTask : j0 + tailRowsPerTask, t < headTasks ? headRows : n);
            if (path != GemmPath.Vector512)
            {
                RunRows((float*)an, m, k, (byte*)wn, wType, rowBytes, n, (float*)cn, j0, j1, path);
                return;
            }

            switch (wType)
            {
                case WeightType.F32: RunRows512<F32Loader>((float*)an, m, k, (byte*)wn, wType, rowBytes, n, (float*)cn, j0, j1); break;
                case WeightType.BF16: RunRows512<Bf16Loader>((float*)an, m, k, (byte*)wn, wType, rowBytes, n, (float*)cn, j0, j1); break;
                case WeightType.F16 when scaled: RunRows512<F16ScaledLoader>((float*)an, m, k, (byte*)wn, wType, rowBytes, n, (float*)cn, j0, j1); break;
                case WeightType.F16: RunRows512<F16Loader>((float*)an, m, k, (byte*)wn, wType, rowBytes, n, (float*)cn, j0, j1); break;
                default: RunRowsQ8((float*)an, m, k, (byte*)wn, rowBytes, n, (float*)cn, j0, j1); break;
            }
        });
    }

    // Vector256 and scalar: decode each W row into an L1-resident f32 row (f32 rows are used in
    // place), then dot it with every row of A.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunRows(float* a, int m, int k, byte* w, WeightType wType, long rowBytes, int n, float* c,
        int j0, int j1, GemmPath path)
    {
        float* row = wType == WeightType.F32 ? null : BufferPool.ThreadLocal.Get(k);
        for (int j = j0; j < j1; j++)
        {
            byte* src = w + j * rowBytes;
            float* wr = (float*)src;
            if (row != null)
            {
                WeightDecoder.Decode(src, wType, 0, k, row, path);
                wr = row;
            }

            for (int i = 0; i < m; i++)
            {
                c[(long)i * n + j] = Dot(a + (long)i * k, wr, k, path);
            }
        }
    }

    // AVX-512: W is converted in registers on its way to the FMA units, with no store in between
    // (m = 1 is bandwidth-bound). With m > 1 the row is converted once per A row: that is at most 4
    // times, from L1, and keeps each loop small enough that the JIT holds everything in registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunRows512<TLoader>(float* a, int m, int k, byte* w, WeightType wType, long rowBytes, int n, float* c,
        int j0, int j1)
        where TLoader : IWeightLoader512
    {
        int j = j0;
        if (m == 1 && k >= EightRowMinK && k % 32 == 0)
        {
            for (; j + 8 <= j1; j += 8)
            {
                DotEightRows<TLoader>(a, w + j * rowBytes, rowBytes, k, c + j);
            }
        }

        for (; j < j1; j++)
        {
            byte* row = w + j * rowBytes;
            for (int i = 0; i < m; i++)
            {
                c[(long)i * n + j] = DotRow<TLoader>(a + (long)i * k, row, k, wType);
            }
        }
    }

    // Eight W rows against one A row (k a multiple of 32), each A load feeding eight FMAs. Each row
    // keeps DotRow's two chains (even and odd 16-value blocks) and its final sum, so the results are
    // bit-identical to DotRow's: which rows take this path never changes an answer.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotEightRows<TLoader>(float* a, byte* r0, long rowBytes, int k, float* c)
        where TLoader : IWeightLoader512
    {
        byte* r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
        byte* r4 = r3 + rowBytes, r5 = r4 + rowBytes, r6 = r5 + rowBytes, r7 = r6 + rowBytes;
        Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default, e4 = default, e5 = default, e6 = default, e7 = default;
        Vector512<float> o0 = default, o1 = default, o2 = default, o3 = default, o4 = default, o5 = default, o6 = default, o7 = default;
        for (int p = 0; p < k; p += 32)
        {
            Vector512<float> even = Vector512.Load(a + p), odd = Vector512.Load(a + p + 16);
            e0 = Avx512F.FusedMultiplyAdd(even, TLoader.Load16(r0, p), e0);
            e1 = Avx512F.FusedMultiplyAdd(even, TLoader.Load16(r1, p), e1);
            e2 = Avx512F.FusedMultiplyAdd(even, TLoader.Load16(r2, p), e2);
            e3 = Avx512F.FusedMultiplyAdd(even, TLoader.Load16(r3, p), e3);
            e4 = Avx512F.FusedMultiplyAdd(even, TLoader.Load16(r4, p), e4);
            e5 = Avx512F.FusedMultiplyAdd(even, TLoader.Load16(r5, p), e5);
            e6 = Avx512F.FusedMultiplyAdd(even, TLoader.Load16(r6, p), e6);
            e7 = Avx512F.FusedMultiplyAdd(even, TLoader.Load16(r7, p), e7);
            o0 = Avx512F.FusedMultiplyAdd(odd, TLoader.Load16(r0, p + 16), o0);
            o1 = Avx512F.FusedMultiplyAdd(odd, TLoader.Load16(r1, p + 16), o1);
            o2 = Avx512F.FusedMultiplyAdd(odd, TLoader.Load16(r2, p + 16), o2);
            o3 = Avx512F.FusedMultiplyAdd(odd, TLoader.Load16(r3, p + 16), o3);
            o4 = Avx512F.FusedMultiplyAdd(odd, TLoader.Load16(r4, p + 16), o4);
            o5 = Avx512F.FusedMultiplyAdd(odd, TLoader.Load16(r5, p + 16), o5);
            o6 = Avx512F.FusedMultiplyAdd(odd, TLoader.Load16(r6, p + 16), o6);
            o7 = Avx512F.FusedMultiplyAdd(odd, TLoader.Load16(r7, p + 16), o7);
        }

        c[0] = Vector512.Sum(e0 + o0);
        c[1] = Vector512.Sum(e1 + o1);
        c[2] = Vector512.Sum(e2 + o2);
        c[3] = Vector512.Sum(e3 + o3);
        c[4] = Vector512.Sum(e4 + o4);
        c[5] = Vector512.Sum(e5 + o5);
        c[6] = Vector512.Sum(e6 + o6);
        c[7] = Vector512.Sum(e7 + o7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float DotRow<TLoader>(float* a, byte* row, int k, WeightType wType)
        where TLoader : IWeightLoader512
    {
        // Two chains hide the FMA latency.
        Vector512<float> s0 = default, s1 = default;
        int p = 0;
        for (; p + 32 <= k; p += 32)
        {
            s0 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + p), TLoader.Load16(row, p), s0);
            s1 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + p + 16), TLoader.Load16(row, p + 16), s1);
        }

        if (p + 16 <= k)
        {
            s0 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + p), TLoader.Load16(row, p), s0);
            p += 16;
        }

        float sum = Vector512.Sum(s0 + s1);
        if (p < k)
        {
            float* tail = stackalloc float[16];
            WeightDecoder.Decode(row, wType, p, k - p, tail, GemmPath.Scalar);
            for (int q = 0; q < k - p; q++)
            {
                sum += a[p + q] * tail[q];
            }
        }

        return sum;
    }

    // Q8_0 on AVX-512: a block's 32 int8 values are widened and scaled by its d in registers;
    // the fp16 scales are converted 16 blocks at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunRowsQ8(float* a, int m, int k, byte* w, long rowBytes, int n, float* c, int j0, int j1)
    {
        int blocks = k / WeightLayout.Q8BlockValues;
        float* scales = stackalloc float[16];
        for (int j = j0; j < j1; j++)
        {
            byte* row = w + j * rowBytes;
            for (int i = 0; i < m; i++)
            {
                c[(long)i * n + j] = DotRowQ8(a + (long)i * k, row, blocks, scales);
            }
        }
    }

    private static float DotRowQ8(float* a, byte* block, int blocks, float* scales)
    {
        Vector512<float> s0 = default, s1 = default;
        for (int b0 = 0; b0 < blocks; b0 += 16)
        {
            int count = Math.Min(16, blocks - b0);
            if (count == 16)
            {
                WeightDecoder.Q8Scales16(block, WeightLayout.Q8BlockBytes).Store(scales);
            }
            else
            {
                for (int i = 0; i < count; i++)
                {
                    scales[i] = (float)BitConverter.UInt16BitsToHalf(Unsafe.ReadUnaligned<ushort>(block + i * WeightLayout.Q8BlockBytes));
                }
            }

            s0 = DotBlocksQ8(a + b0 * WeightLayout.Q8BlockValues, block, count, scales, s0, ref s1);
            block += count * WeightLayout.Q8BlockBytes;
        }

        return Vector512.Sum(s0 + s1);
    }

    // Up to 16 blocks; the two halves of each block feed separate chains.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector512<float> DotBlocksQ8(float* a, byte* block, int count, float* scales, Vector512<float> s0, ref Vector512<float> s1Ref)
    {
        Vector512<float> s1 = s1Ref;
        for (int i = 0; i < count; i++, block += WeightLayout.Q8BlockBytes, a += WeightLayout.Q8BlockValues)
        {
            Vector512<float> d = Vector512.Create(scales[i]);
            Vector512<float> q0 = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)block + 2)));
            Vector512<float> q1 = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)block + 18)));
            s0 = Avx512F.FusedMultiplyAdd(q0 * d, Vector512.Load(a), s0);
            s1 = Avx512F.FusedMultiplyAdd(q1 * d, Vector512.Load(a + 16), s1);
        }

        s1Ref = s1;
        return s0;
    }

    /// <summary>Σ x[p]·y[p] with the widest vectors of <paramref name="path"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(float* x, float* y, int k, GemmPath path)
    {
        int p = 0;
        float sum = 0;
        if (path == GemmPath.Vector512)
        {
            // Four accumulators hide the FMA latency.
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; p + 64 <= k; p += 64)
            {
                s0 = Avx512F.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(y + p), s0);
                s1 = Avx512F.FusedMultiplyAdd(Vector512.Load(x + p + 16), Vector512.Load(y + p + 16), s1);
                s2 = Avx512F.FusedMultiplyAdd(Vector512.Load(x + p + 32), Vector512.Load(y + p + 32), s2);
                s3 = Avx512F.FusedMultiplyAdd(Vector512.Load(x + p + 48), Vector512.Load(y + p + 48), s3);
            }

            for (; p + 16 <= k; p += 16)
            {
                s0 = Avx512F.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(y + p), s0);
            }

            sum = Vector512.Sum((s0 + s1) + (s2 + s3));
        }
        else if (path == GemmPath.Vector256)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; p + 32 <= k; p += 32)
            {
                s0 = Fma.MultiplyAdd(Vector256.Load(x + p), Vector256.Load(y + p), s0);
                s1 = Fma.MultiplyAdd(Vector256.Load(x + p + 8), Vector256.Load(y + p + 8), s1);
                s2 = Fma.MultiplyAdd(Vector256.Load(x + p + 16), Vector256.Load(y + p + 16), s2);
                s3 = Fma.MultiplyAdd(Vector256.Load(x + p + 24), Vector256.Load(y + p + 24), s3);
            }

            for (; p + 8 <= k; p += 8)
            {
                s0 = Fma.MultiplyAdd(Vector256.Load(x + p), Vector256.Load(y + p), s0);
            }

            sum = Vector256.Sum((s0 + s1) + (s2 + s3));
        }

        for (; p < k; p++)
        {
            sum += x[p] * y[p];
        }

        return sum;
    }
}
