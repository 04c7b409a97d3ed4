using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using PromptCache.Runtime.Inference;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// Attention for a few query tokens (decode) over long K/V: split-K ("flash decoding") across cores,
/// K/V read once in its storage type and converted in registers, nothing allocated per call.
/// </summary>
/// <remarks>
/// <para>Work items are (kv head, key range) pairs: with fewer kv heads than about four per core the
/// concatenated keys of all blocks are cut into ranges, each item keeps its own running max, sum and
/// unnormalised output per row, and the calling thread merges them (rescaling by e^(max − global max)).
/// Items run on the GEMM's persistent workers, whose dispatch costs microseconds where
/// <c>Parallel.For</c> costs tens.</para>
/// <para>Every query head sharing a kv head (GQA) and every query token is a row of the item, so each
/// key is read once per item. One to three rows dot each key directly (16 keys' horizontal sums in
/// one shuffle tree); four or more transpose the key chunk in registers and run the 4-row
/// register-blocked <see cref="AttentionKernels"/>.</para>
/// <para>f16 K/V is read 2^112 too small with three integer operations (<see cref="F16ScaledKv"/>);
/// the queries and the softmax weights carry the 2^112 instead, so results equal exact conversion.</para>
/// </remarks>
internal static unsafe class DecodeAttention
{
    /// <summary>
    /// Most query tokens (rows of q) this path takes; more go to the query-tiled prefill path. Up to
    /// 64 covers decode and the Prompt Cache engine's cached call (a short suffix over long K/V).
    /// </summary>
    public const int MaxQueries = 64;

    private const int Chunk = AttentionKernels.Chunk;

    /// <summary>A key range shorter than this is not worth a work item of its own.</summary>
    private const int MinKeysPerSplit = 128;

    /// <summary>Queries (already scaled by 1/√d) at or above this magnitude cannot take the 2^112 of the fast f16 read.</summary>
    private const float ScaledQueryLimit = 16384f;

    [ThreadStatic]
    private static Call? t_call;

    [ThreadStatic]
    private static ScratchBuffer? t_scratch;

    /// <summary>Whether this path handles <paramref name="m"/> query rows of <paramref name="headDim"/>.</summary>
    public static bool Supports(int m, int headDim) =>
        m <= MaxQueries && headDim % 16 == 0 && Vector512.IsHardwareAccelerated;

    /// <summary>Same contract as <see cref="CpuAttention.Run"/>.</summary>
    public static void Run(float* q, int m, int heads, ReadOnlySpan<KvBlock> context, int layer, float* output) =>
        (t_call ??= new Call()).Run(q, m, heads, context, layer, output);

    /// <summary>Test hook: the same with a forced number of key ranges and kv heads per work item (0: default).</summary>
    internal static void Run(float* q, int m, int heads, ReadOnlySpan<KvBlock> context, int layer, float* output, int splits, int headsPerItem = 0) =>
        (t_call ??= new Call()).Run(q, m, heads, context, layer, output, splits, headsPerItem);

    // One item's scratch (the worker thread's) and running softmax state.
    private struct ItemState
    {
        public float* Scores, Kt, VRows, Acc, Max, Sum;
    }

    // One calling thread's state, reused across calls; the workers read it during a call.
    private sealed class Call
    {
        private readonly ScratchBuffer _queries = new();
        private readonly ScratchBuffer _partials = new();
        private readonly Action<int> _body;
        private KvBlock[] _blocks = new KvBlock[4];
        private int[] _starts = new int[5];
        private int _blockCount, _m, _heads, _kvHeads, _group, _rows, _padded, _headDim, _layer, _splits, _total, _partialStride, _headsPerItem, _headGroups;
        private float* _q, _q112, _output, _part;

        public Call() => _body = Item;

        public void Run(float* q, int m, int heads, ReadOnlySpan<KvBlock> context, int layer, float* output, int splits = 0, int headsPerItem = 0)
        {
            if (context.Length == 0) throw new ArgumentException("Attention needs at least one K/V block.", nameof(context));
            var first = context[0].Segment;
            int headDim = first.HeadDim, kvHeads = first.KvHeadCount;
            if (heads % kvHeads != 0) throw new ArgumentException($"{heads} query heads are not a multiple of {kvHeads} kv heads.");
            if (_blocks.Length < context.Length)
            {
                _blocks = new KvBlock[context.Length];
                _starts = new int[context.Length + 1];
            }

            int total = 0;
            for (int i = 0; i < context.Length; i++)
            {
                var b = context[i];
                var seg = b.Segment;
                int rows = CpuAttention.CheckBlock(b, m, layer, headDim, kvHeads);
                _blocks[i] = b;
                _starts[i] = total;
                total += rows;
            }

            _starts[context.Length] = total;
            _blockCount = context.Length;
            _m = m;
            _heads = heads;
            _kvHeads = kvHeads;
            _group = heads / kvHeads;
            _rows = m * _group;
            _padded = _rows >= 4 ? (_rows + 3) & ~3 : _rows;
            _headDim = headDim;
            _layer = layer;
            _total = total;
            _output = output;
            GatherQueries(q, 1f / MathF.Sqrt(headDim));

            int threads = Environment.ProcessorCount;
            // Token-major items by default: an item takes every kv head of a range of tokens, so it reads
            // whole K/V rows (all heads of a token are adjacent) front to back, where one head's slice
            // of each token is a 128-byte run every kv_dim values.
            // With many rows per head (a short suffix rather than decode) the item is compute-bound and
            // its state large, so one head per item, and fewer ranges to merge.
            _headsPerItem = headsPerItem > 0 ? Math.Min(headsPerItem, kvHeads) : _padded >= 32 ? 1 : kvHeads;
            _headGroups = (kvHeads + _headsPerItem - 1) / _headsPerItem;
            _splits = splits > 0 ? splits
                : Math.Clamp(total / MinKeysPerSplit, 1, Math.Max(1, (4 * threads + _headGroups - 1) / _headGroups));
            _partialStride = headDim + 16; // acc, then max and sum; keeps rows 64-byte aligned
            if (_splits > 1) _part = _partials.Get((long)kvHeads * _splits * _padded * _partialStride);
            int items = _headGroups * _splits;
            try
            {
                GemmWorkers.For(items, _body);
                if (_splits > 1) Merge();
            }
            finally
            {
                _blocks.AsSpan(0, _blockCount).Clear(); // do not keep segments alive between calls
            }
        }

        // q rows regrouped per kv head: row r = query i · group + head-in-group, pre-scaled by 1/√d;
        // rows padded to a multiple of 4 with zeros. A second copy carries the 2^112 of the fast f16
        // read when some block is f16 and the queries are small enough (they always are in practice).
        private void GatherQueries(float* q, float scale)
        {
            int hd = _headDim;
            long count = (long)_kvHeads * _padded * hd;
            bool f16 = false;
            for (int b = 0; b < _blockCount; b++) f16 |= _blocks[b].Segment.DataType == KvDataType.F16;
            float* qs = _queries.Get(f16 ? 2 * count : count);
            var plain = new Span<float>(qs, (int)count);
            plain.Clear();
            for (int kv = 0; kv < _kvHeads; kv++)
            for (int r = 0; r < _rows; r++)
            {
                int qi = r / _group, hh = r % _group;
                var src = new ReadOnlySpan<float>(q + ((long)qi * _heads + kv * _group + hh) * hd, hd);
                TensorPrimitives.Multiply(src, scale, plain.Slice((kv * _padded + r) * hd, hd));
            }

            _q = qs;
            _q112 = null;
            if (f16 && MathF.Abs(TensorPrimitives.MaxMagnitude(plain)) < ScaledQueryLimit)
            {
                _q112 = qs + count;
                TensorPrimitives.Multiply(plain, F16ScaledKv.Scale, new Span<float>(_q112, (int)count));
            }
        }

        private void Item(int item)
        {
            int h0 = item % _headGroups * _headsPerItem, split = item / _headGroups;
            int h1 = Math.Min(h0 + _headsPerItem, _kvHeads);
            int hd = _headDim, rows = _rows, padded = _padded, nh = h1 - h0;
            // Ranges are cut at multiples of the chunk so every chunk but the last of a block is full.
            int lo = (int)((long)_total * split / _splits) & ~(Chunk - 1);
            int hi = split == _splits - 1 ? _total : (int)((long)_total * (split + 1) / _splits) & ~(Chunk - 1);
            var scratch = t_scratch ??= new ScratchBuffer();
            long state = (long)nh * padded * (hd + 2);
            // Scores of every head of the item; the transposed chunk (or, across heads, the partial
            // vectors: 256 floats per head); converted values; then the running state.
            long scoreFloats = (long)nh * padded * Chunk, ktFloats = Math.Max((long)hd * Chunk, 256L * nh);
            float* scores = scratch.Get(scoreFloats + ktFloats + (long)hd * Chunk + state);
            var st = new ItemState
            {
                Scores = scores,
                Kt = scores + scoreFloats,
                VRows = scores + scoreFloats + ktFloats,
                Acc = scores + scoreFloats + ktFloats + hd * Chunk,
            };
            st.Max = st.Acc + (long)nh * padded * hd;
            st.Sum = st.Max + nh * padded;
            new Span<float>(st.Acc, nh * padded * hd).Clear();
            new Span<float>(st.Max, nh * padded).Fill(float.NegativeInfinity);
            new Span<float>(st.Sum, nh * padded).Clear();

            for (int b = 0; b < _blockCount; b++)
            {
                int a = Math.Max(lo - _starts[b], 0), e = Math.Min(hi, _starts[b + 1]) - _starts[b];
                if (a >= e) continue;
                switch (_blocks[b].Segment.DataType)
                {
                    case KvDataType.F32: Block<F32Kv>(b, a, e, h0, h1, _q, st); break;
                    case KvDataType.BF16: Block<Bf16Kv>(b, a, e, h0, h1, _q, st); break;
                    default:
                        if (_q112 != null) Block<F16ScaledKv>(b, a, e, h0, h1, _q112, st);
                        else Block<F16ExactKv>(b, a, e, h0, h1, _q, st);
                        break;
                }
            }

            for (int h = h0; h < h1; h++)
            {
                float* acc = st.Acc + (long)(h - h0) * padded * hd, max = st.Max + (h - h0) * padded, sum = st.Sum + (h - h0) * padded;
                for (int r = 0; r < rows; r++)
                {
                    if (_splits == 1)
                    {
                        // Every row sees at least its own key, so sum > 0.
                        TensorPrimitives.Multiply(new ReadOnlySpan<float>(acc + (long)r * hd, hd), 1f / sum[r], new Span<float>(OutputRow(h, r), hd));
                        continue;
                    }

                    float* p = PartialRow(h, split, r);
                    new ReadOnlySpan<float>(acc + (long)r * hd, hd).CopyTo(new Span<float>(p, hd));
                    p[hd] = max[r];
                    p[hd + 1] = sum[r];
                }
            }
        }

        // Keys [a, e) of block b for kv heads [h0, h1): scores, online softmax, weighted values, chunk by
        // chunk; all heads of a chunk before the next chunk, so each chunk's rows are read once.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Block<TKv>(int b, int a, int e, int h0, int h1, float* queries, in ItemState st)
            where TKv : IKvLoader
        {
            int hd = _headDim, rows = _rows, padded = _padded, group = _group;
            var block = _blocks[b];
            var seg = block.Segment;
            long stride = (long)seg.KvDim * TKv.ElementBytes;
            int headBytes = hd * TKv.ElementBytes;
            byte* kBase = seg.Keys(_layer), vBase = seg.Values(_layer);
            float* scores = st.Scores;
            Span<int> visible = stackalloc int[MaxQueries];
            int* rowVisible = stackalloc int[padded];
            float* corrections = stackalloc float[4];
            var pScale = Vector512.Create(TKv.Scale);
            // The heads this item reads of each token: one contiguous run.
            int runOffset = h0 * headBytes, runBytes = (h1 - h0) * headBytes;
            for (int c0 = a; c0 < e; c0 += Chunk)
            {
                int nk = Math.Min(Chunk, e - c0);
                int used = 0;
                for (int i = 0; i < _m; i++)
                {
                    visible[i] = Math.Clamp(block.VisibleTo(i) - c0, 0, nk);
                    used = Math.Max(used, visible[i]);
                }

                if (used == 0) continue;
                // This chunk's values are read after its scores, the next chunk's keys after that.
                DecodeKernels.Prefetch(vBase + c0 * stride + runOffset, stride, used, runBytes);
                if (c0 + Chunk < e) DecodeKernels.Prefetch(kBase + (c0 + Chunk) * stride + runOffset, stride, Math.Min(Chunk, e - c0 - Chunk), runBytes);
                if (padded < 4 && h1 - h0 > 1)
                {
                    AcrossHeads<TKv>(kBase + c0 * stride + runOffset, vBase + c0 * stride + runOffset, stride, h0, h1, queries, visible, st);
                    continue;
                }

                for (int h = h0; h < h1; h++)
                {
                    byte* keys = kBase + c0 * stride + h * headBytes, values = vBase + c0 * stride + h * headBytes;
                    float* qs = queries + (long)h * padded * hd;
                    float* acc = st.Acc + (long)(h - h0) * padded * hd, max = st.Max + (h - h0) * padded, sum = st.Sum + (h - h0) * padded;
                    if (padded >= 4)
                    {
                        DecodeKernels.TransposeKeys<TKv>(keys, stride, used, hd, st.Kt, st.VRows);
                        for (int r = 0; r < padded; r += 4) AttentionKernels.Scores4(qs + (long)r * hd, hd, st.Kt, scores + r * Chunk);
                    }
                    else
                    {
                        for (int r = 0; r < rows; r++)
                            DecodeKernels.Scores1<TKv>(qs + (long)r * hd, keys, stride, visible[r / group], hd, 1f, scores + r * Chunk);
                    }

                    if (padded >= 4)
                    {
                        // Four rows per softmax call (their chains overlap); padding rows see nothing.
                        for (int r = 0; r < padded; r++) rowVisible[r] = r < rows ? visible[r / group] : 0;
                        for (int r = 0; r < padded; r += 4)
                        {
                            AttentionKernels.Softmax64x4(scores + r * Chunk, rowVisible + r, max + r, sum + r, corrections);
                            for (int i = 0; i < 4; i++)
                                if (corrections[i] != 1f) AttentionKernels.Scale(acc + (long)(r + i) * hd, hd, corrections[i]);
                        }
                    }
                    else
                    {
                        for (int r = 0; r < padded; r++)
                        {
                            float* s = scores + r * Chunk;
                            int v = r < rows ? visible[r / group] : 0;
                            if (v == 0)
                            {
                                new Span<float>(s, Chunk).Clear();
                                continue;
                            }

                            float c = AttentionKernels.Softmax64(s, v, ref max[r], ref sum[r]);
                            if (c != 1f) AttentionKernels.Scale(acc + (long)r * hd, hd, c);
                        }
                    }

                    if (TKv.Scale != 1f)
                    {
                        // The softmax weights carry the 2^112 the f16 read leaves out (rows that saw nothing stay 0).
                        for (int j = 0; j < padded * Chunk; j += 16) (Vector512.Load(scores + j) * pScale).Store(scores + j);
                    }

                    if (padded >= 4)
                    {
                        float* vr;
                        int vStride;
                        if (typeof(TKv) == typeof(F32Kv))
                        {
                            vr = (float*)values;
                            vStride = seg.KvDim;
                        }
                        else
                        {
                            DecodeKernels.ConvertRows<TKv>(values, stride, used, hd, st.VRows);
                            vr = st.VRows;
                            vStride = hd;
                        }

                        for (int r = 0; r < padded; r += 4)
                            AttentionKernels.AccumulateValues4(scores + r * Chunk, used, vr, vStride, acc + (long)r * hd, hd);
                    }
                    else
                    {
                        for (int r = 0; r < rows; r++)
                            DecodeKernels.AccumulateRow1<TKv>(scores + r * Chunk, visible[r / group], values, stride, hd, acc + (long)r * hd);
                    }
                }
            }
        }

        // One chunk for one to three rows per head and several heads: every K and V row is read once,
        // in order, all heads of a token together (one head at a time reads a 128-byte run every
        // kv_dim values, which the hardware prefetchers follow poorly).
        private void AcrossHeads<TKv>(byte* keys, byte* values, long stride, int h0, int h1, float* queries, Span<int> visible, in ItemState st)
            where TKv : IKvLoader
        {
            int hd = _headDim, rows = _rows, padded = _padded, group = _group, nh = h1 - h0;
            float* scores = st.Scores;
            var pScale = Vector512.Create(TKv.Scale);
            for (int r = 0; r < rows; r++)
            {
                DecodeKernels.ScoresHeads<TKv>(queries + ((long)h0 * padded + r) * hd, (long)padded * hd, keys, stride, nh,
                    visible[r / group], hd, st.Kt, scores + r * Chunk, padded * Chunk);
            }

            for (int h = 0; h < nh; h++)
            for (int r = 0; r < rows; r++)
            {
                int i = h * padded + r;
                float* s = scores + i * Chunk;
                int v = visible[r / group];
                if (v == 0)
                {
                    new Span<float>(s, Chunk).Clear();
                    continue;
                }

                float c = AttentionKernels.Softmax64(s, v, ref st.Max[i], ref st.Sum[i]);
                if (c != 1f) AttentionKernels.Scale(st.Acc + (long)i * hd, hd, c);
                if (TKv.Scale != 1f)
                {
                    for (int j = 0; j < Chunk; j += 16) (Vector512.Load(s + j) * pScale).Store(s + j);
                }
            }

            for (int r = 0; r < rows; r++)
            {
                DecodeKernels.AccumulateHeads<TKv>(scores + r * Chunk, padded * Chunk, values, stride, nh, visible[r / group], hd,
                    st.Acc + (long)r * hd, padded * hd);
            }
        }

        // out = Σ_s e^(max_s − M) · acc_s / Σ_s e^(max_s − M) · sum_s, M the largest max_s. A range that
        // saw no key of a row has max −∞ and weighs 0; every row sees at least one key somewhere.
        private void Merge()
        {
            int hd = _headDim;
            for (int kv = 0; kv < _kvHeads; kv++)
            for (int r = 0; r < _rows; r++)
            {
                float top = float.NegativeInfinity;
                for (int s = 0; s < _splits; s++) top = MathF.Max(top, PartialRow(kv, s, r)[hd]);
                var dst = new Span<float>(OutputRow(kv, r), hd);
                dst.Clear();
                float denominator = 0;
                for (int s = 0; s < _splits; s++)
                {
                    float* p = PartialRow(kv, s, r);
                    if (float.IsNegativeInfinity(p[hd])) continue;
                    float w = MathF.Exp(p[hd] - top);
                    denominator += w * p[hd + 1];
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(p, hd), w, dst, dst);
                }

                TensorPrimitives.Multiply(dst, 1f / denominator, dst);
            }
        }

        private float* PartialRow(int kvHead, int split, int r) =>
            _part + (((long)split * _kvHeads + kvHead) * _padded + r) * _partialStride;

        private float* OutputRow(int kvHead, int r) =>
            _output + ((long)(r / _group) * _heads + kvHead * _group + r % _group) * _headDim;
    }
}
