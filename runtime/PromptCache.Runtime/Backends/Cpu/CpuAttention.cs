using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using PromptCache.Runtime.Inference;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// Attention over K/V segments with a numerically stable online softmax (flash-attention style):
/// keys are visited in chunks of 64, each query row keeps a running max, denominator and weighted
/// sum of values, so no [queries × keys] matrix is ever stored and context length only costs time.
/// </summary>
/// <remarks>
/// <para>Work is split into (kv head, tile of queries) items run on all cores; every query head
/// sharing the kv head (GQA) and every query of the tile reuses each loaded chunk of keys.</para>
/// <para>Prefill (four or more rows per item) transposes each key chunk once and runs the
/// register-blocked <see cref="AttentionKernels"/>: scores and value sums are then small GEMMs.
/// Decode (one to three rows) dots each key with the query directly, skipping the transposition.</para>
/// <para>f16/bf16 segments are converted to f32 chunk by chunk inside each item (one kv head's 64 rows
/// at a time). Converting a whole block per call instead needs an f32 copy of the layer's K and V
/// (3 MiB at 512 tokens of Llama-110M, 8× that at 4K) for no measurable gain: the conversion is ~1/64
/// of the arithmetic per item, and interleaved A/B runs gave the same CPU time with bit-identical output.</para>
/// </remarks>
internal static unsafe class CpuAttention
{
    private const int QueryTile = 16;
    private const int Chunk = AttentionKernels.Chunk;

    /// <summary>
    /// One block's keys and values for one layer: f32 rows <see cref="Stride"/> floats apart, or, when
    /// <see cref="Packed"/> is false, the segment's own f16/bf16 rows, converted chunk by chunk.
    /// </summary>
    private readonly record struct KvView(nint Keys, nint Values, int Stride, KvBlock Block, bool Packed = true);

    public static void Run(float* q, int m, int heads, ReadOnlySpan<KvBlock> context, int layer, float* output)
    {
        if (context.Length == 0) throw new ArgumentException("Attention needs at least one K/V block.", nameof(context));
        var first = context[0].Segment;
        int headDim = first.HeadDim, kvHeads = first.KvHeadCount;
        if (heads % kvHeads != 0) throw new ArgumentException($"{heads} query heads are not a multiple of {kvHeads} kv heads.");
        if (DecodeAttention.Supports(m, headDim))
        {
            DecodeAttention.Run(q, m, heads, context, layer, output);
            return;
        }

        RunTiled(q, m, heads, context, layer, output);
    }

    /// <summary>The query-tiled path (prefill), whatever the number of rows; tests and benchmarks compare it with <see cref="DecodeAttention"/>.</summary>
    internal static void RunTiled(float* q, int m, int heads, ReadOnlySpan<KvBlock> context, int layer, float* output)
    {
        if (context.Length == 0) throw new ArgumentException("Attention needs at least one K/V block.", nameof(context));
        var first = context[0].Segment;
        int headDim = first.HeadDim, kvHeads = first.KvHeadCount;
        if (heads % kvHeads != 0) throw new ArgumentException($"{heads} query heads are not a multiple of {kvHeads} kv heads.");
        var views = new KvView[context.Length];
        for (int i = 0; i < context.Length; i++)
        {
            var b = context[i];
            var seg = b.Segment;
            int rows = CheckBlock(b, m, layer, headDim, kvHeads);
            // f16/bf16 rows are converted where they are used, a chunk of one kv head at a time (no
            // f32 copy of the block: see the remarks).
            views[i] = new KvView((nint)seg.Keys(layer), (nint)seg.Values(layer), seg.KvDim, b, Packed: seg.DataType == KvDataType.F32);
        }
        // About 64 rows (queries × heads sharing the kv head) per item amortises each transposed key
        // chunk; MHA therefore takes more queries per tile than GQA.
        int queryTile = Math.Max(QueryTile, 64 / (heads / kvHeads));
        int tiles = (m + queryTile - 1) / queryTile;
        int items = kvHeads * tiles;
        var job = new Job(q, m, heads, headDim, kvHeads, views, output, 1f / MathF.Sqrt(headDim), queryTile);
        // The GEMM's persistent workers, not Parallel.For: the thread pool put three or more threads on
        // the two cores, and each new thread started with an empty ArrayPool cache (profile of one
        // Llama-110M layer at 512 tokens: 2.2 ms of 13.6 in per-item setup, every kernel ~2× slower than
        // alone). Causal query tiles see more keys the later they start, so the last ones go first.
        GemmWorkers.For(items, i => job.Tile(i % kvHeads, tiles - 1 - i / kvHeads));
    }

    /// <summary>
    /// Checks one block of an attention call against the call's shape; returns the keys the last query row sees.
    /// Shared by the tiled and the split-K paths.
    /// </summary>
    internal static int CheckBlock(in KvBlock block, int m, int layer, int headDim, int kvHeads)
    {
        var seg = block.Segment;
        if (seg.HeadDim != headDim || seg.KvHeadCount != kvHeads || seg.LayerCount <= layer)
            throw new ArgumentException("All K/V segments of one attention call must have the same shape.");
        int rows = block.VisibleTo(m - 1);
        if (rows > seg.Capacity) throw new ArgumentException("A K/V block claims more tokens than its segment holds.");
        return rows;
    }

    [ThreadStatic]
    private static ScratchBuffer? t_scratch;

    [ThreadStatic]
    private static int[]? t_visible;

    private sealed class Job(float* q, int m, int heads, int headDim, int kvHeads, KvView[] views, float* output, float scale, int queryTile)
    {
        private readonly bool _vectorized = Vector512.IsHardwareAccelerated && headDim % 16 == 0;

        public void Tile(int kvHead, int tile)
        {
            int group = heads / kvHeads;
            int q0 = tile * queryTile;
            int nq = Math.Min(queryTile, m - q0);
            int rows = nq * group;
            bool blocked = _vectorized && rows >= 4;
            int padded = blocked ? (rows + 3) & ~3 : rows;
            // This worker's scratch, kept across calls: running max and sum, queries, output sums, the
            // transposed key chunk, scores, converted K and V rows, the transposition's tail.
            long rowState = Round(padded), rowVectors = Round((long)padded * headDim), chunkVectors = Round((long)headDim * Chunk);
            float* max = (t_scratch ??= new ScratchBuffer()).Get(2 * rowState + 2 * rowVectors + 3 * chunkVectors + Round((long)padded * Chunk) + Round(16L * headDim));
            float* sum = max + rowState, qsp = sum + rowState, accp = qsp + rowVectors, ktp = accp + rowVectors;
            float* kBufP = ktp + chunkVectors, vBufP = kBufP + chunkVectors, sp = vBufP + chunkVectors, tailP = sp + Round((long)padded * Chunk);
            if ((t_visible?.Length ?? 0) < padded) t_visible = new int[Math.Max(padded, 64)];
            int[] visibleRows = t_visible!;
            float* corrections = stackalloc float[4];
            new Span<float>(max, padded).Fill(float.NegativeInfinity);
            new Span<float>(sum, padded).Clear();
            new Span<float>(accp, padded * headDim).Clear();
            new Span<float>(qsp, padded * headDim).Clear();
            // Gather this item's query rows (pre-scaled) so the kernels see them contiguous.
            for (int r = 0; r < rows; r++)
            {
                int qi = r / group, hh = r % group;
                var src = new ReadOnlySpan<float>(q + ((long)(q0 + qi) * heads + kvHead * group + hh) * headDim, headDim);
                TensorPrimitives.Multiply(src, scale, new Span<float>(qsp + (long)r * headDim, headDim));
            }
            foreach (var view in views)
            {
                int lastVisible = view.Block.VisibleTo(q0 + nq - 1);
                for (int c0 = 0; c0 < lastVisible; c0 += Chunk)
                {
                    int nk = Math.Min(Chunk, lastVisible - c0);
                    float* keys, values;
                    int stride = view.Stride;
                    if (view.Packed)
                    {
                        keys = (float*)view.Keys + (long)c0 * stride + kvHead * headDim;
                        values = (float*)view.Values + (long)c0 * stride + kvHead * headDim;
                    }
                    else
                    {
                        var seg = view.Block.Segment;
                        ConvertChunk(seg.DataType, (byte*)view.Keys, seg.KvDim, kvHead, c0, nk, kBufP);
                        ConvertChunk(seg.DataType, (byte*)view.Values, seg.KvDim, kvHead, c0, nk, vBufP);
                        keys = kBufP;
                        values = vBufP;
                        stride = headDim;
                    }
                    for (int r = 0; r < padded; r++)
                        visibleRows[r] = r < rows ? Math.Clamp(view.Block.VisibleTo(q0 + r / group) - c0, 0, nk) : 0;
                    if (blocked)
                    {
                        // 16×16 in registers (blocked implies AVX-512 and head_dim % 16 == 0).
                        DecodeKernels.TransposeKeys<F32Kv>((byte*)keys, (long)stride * sizeof(float), nk, headDim, ktp, tailP);
                        for (int r = 0; r < padded; r += 4)
                            AttentionKernels.Scores4(qsp + (long)r * headDim, headDim, ktp, sp + r * Chunk);
                        int used = 0;
                        fixed (int* visible = visibleRows)
                        {
                            for (int r = 0; r < padded; r += 4)
                            {
                                AttentionKernels.Softmax64x4(sp + r * Chunk, visible + r, max + r, sum + r, corrections);
                                for (int i = 0; i < 4; i++)
                                {
                                    if (corrections[i] != 1f) AttentionKernels.Scale(accp + (long)(r + i) * headDim, headDim, corrections[i]);
                                    used = Math.Max(used, visible[r + i]);
                                }
                            }
                        }
                        for (int r = 0; r < padded; r += 4)
                            AttentionKernels.AccumulateValues4(sp + r * Chunk, used, values, stride, accp + (long)r * headDim, headDim);
                    }
                    else
                    {
                        for (int r = 0; r < rows; r++)
                        {
                            int visible = visibleRows[r];
                            if (visible == 0) continue;
                            float* scores = sp + r * Chunk;
                            ScoresDirect(qsp + (long)r * headDim, keys, stride, visible, scores);
                            float c;
                            if (_vectorized) c = AttentionKernels.Softmax64(scores, visible, ref max[r], ref sum[r]);
                            else Softmax(scores, visible, ref max[r], ref sum[r], out c);
                            AccumulateRow(scores, visible, values, stride, c, accp + (long)r * headDim);
                        }
                    }
                }
            }

            for (int r = 0; r < rows; r++)
            {
                int qi = r / group, hh = r % group;
                var dst = new Span<float>(output + ((long)(q0 + qi) * heads + kvHead * group + hh) * headDim, headDim);
                // Every row sees at least its own key, so sum > 0.
                TensorPrimitives.Multiply(new ReadOnlySpan<float>(accp + (long)r * headDim, headDim), 1f / sum[r], dst);
            }
        }

        // Views start on 64-byte boundaries.
        private static long Round(long floats) => (floats + 15) & ~15L;

        // Rows [c0, c0+nk) of one kv head, converted to f32 rows of head_dim.
        private void ConvertChunk(KvDataType type, byte* rows, int kvDim, int kvHead, int c0, int nk, float* destination)
        {
            for (int j = 0; j < nk; j++)
            {
                long element = (long)(c0 + j) * kvDim + kvHead * headDim;
                var dst = new Span<float>(destination + (long)j * headDim, headDim);
                if (type == KvDataType.F16) FloatConversions.HalfToSingle((ushort*)rows + element, destination + (long)j * headDim, headDim);
                else FloatConversions.BFloat16ToSingle(new ReadOnlySpan<ushort>((ushort*)rows + element, headDim), dst);
            }
        }

        // scores[j] = q · k_j (q is pre-scaled), one key at a time.
        private void ScoresDirect(float* qRow, float* keys, int stride, int visible, float* scores)
        {
            for (int j = 0; j < visible; j++)
            {
                float* k = keys + (long)j * stride;
                if (_vectorized)
                {
                    var a = Vector512<float>.Zero;
                    for (int d = 0; d < headDim; d += 16)
                        a = Vector512.FusedMultiplyAdd(Vector512.Load(qRow + d), Vector512.Load(k + d), a);
                    scores[j] = Vector512.Sum(a);
                }
                else
                {
                    scores[j] = TensorPrimitives.Dot(new ReadOnlySpan<float>(qRow, headDim), new ReadOnlySpan<float>(k, headDim));
                }
            }
        }

        // Online softmax step: turns scores[0..visible) into exp(score − new max), zeroes the rest of the
        // 64-wide row, and returns the factor the row's earlier sums must be rescaled by.
        private static void Softmax(float* scores, int visible, ref float runningMax, ref float runningSum, out float correction)
        {
            var row = new Span<float>(scores, Chunk);
            if (visible == 0)
            {
                row.Clear();
                correction = 1f;
                return;
            }
            var p = row[..visible];
            float newMax = Math.Max(runningMax, TensorPrimitives.Max(p));
            correction = MathF.Exp(runningMax - newMax);
            TensorPrimitives.Subtract(p, newMax, p);
            TensorPrimitives.Exp(p, p);
            row[visible..].Clear();
            runningSum = runningSum * correction + TensorPrimitives.Sum(p);
            runningMax = newMax;
        }

        private void AccumulateRow(float* p, int visible, float* values, int stride, float correction, float* acc)
        {
            if (_vectorized)
            {
                var c = Vector512.Create(correction);
                for (int d = 0; d < headDim; d += 16)
                {
                    var a = Vector512.Load(acc + d) * c;
                    for (int j = 0; j < visible; j++)
                        a = Vector512.FusedMultiplyAdd(Vector512.Create(p[j]), Vector512.Load(values + (long)j * stride + d), a);
                    a.Store(acc + d);
                }
                return;
            }
            var accSpan = new Span<float>(acc, headDim);
            if (correction != 1f) TensorPrimitives.Multiply(accSpan, correction, accSpan);
            for (int j = 0; j < visible; j++)
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(values + (long)j * stride, headDim), p[j], accSpan, accSpan);
        }
    }
}
