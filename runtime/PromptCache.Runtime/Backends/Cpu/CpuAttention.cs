using System.Buffers;
using System.Numerics.Tensors;
using PromptCache.Runtime.Inference;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// Attention over K/V segments with a numerically stable online softmax (flash-attention style):
/// keys are visited in chunks, each query row keeps a running max, denominator and weighted sum of
/// values, so no [queries × keys] matrix is ever stored and context length only costs time.
/// </summary>
/// <remarks>
/// Work is split into (kv head, tile of queries) items run on all cores. Within an item, a chunk of
/// keys is converted to f32 and transposed once and then reused by every query of the tile and
/// every query head sharing that kv head (GQA), which keeps the inner loops vectorised.
/// </remarks>
internal static unsafe class CpuAttention
{
    private const int QueryTile = 16;
    private const int KeyChunk = 64;

    public static void Run(float* q, int m, int heads, ReadOnlySpan<KvBlock> context, int layer, float* output)
    {
        if (context.Length == 0) throw new ArgumentException("Attention needs at least one K/V block.", nameof(context));
        var first = context[0].Segment;
        int headDim = first.HeadDim, kvHeads = first.KvHeadCount;
        if (heads % kvHeads != 0) throw new ArgumentException($"{heads} query heads are not a multiple of {kvHeads} kv heads.");
        foreach (var b in context)
        {
            if (b.Segment.HeadDim != headDim || b.Segment.KvHeadCount != kvHeads || b.Segment.LayerCount <= layer)
                throw new ArgumentException("All K/V segments of one attention call must have the same shape.");
            if (b.VisibleTo(m - 1) > b.Segment.Capacity) throw new ArgumentException("A K/V block claims more tokens than its segment holds.");
        }
        var blocks = context.ToArray();
        int tiles = (m + QueryTile - 1) / QueryTile;
        int items = kvHeads * tiles;
        float scale = 1f / MathF.Sqrt(headDim);
        var job = new Job(q, m, heads, headDim, kvHeads, blocks, layer, output, scale);
        if (items == 1) job.Tile(0, 0);
        else Parallel.For(0, items, i => job.Tile(i % kvHeads, i / kvHeads));
    }

    private sealed class Job(float* q, int m, int heads, int headDim, int kvHeads, KvBlock[] blocks, int layer, float* output, float scale)
    {
        public void Tile(int kvHead, int tile)
        {
            int group = heads / kvHeads;
            int q0 = tile * QueryTile;
            int nq = Math.Min(QueryTile, m - q0);
            int rows = nq * group;
            var pool = ArrayPool<float>.Shared;
            float[] max = pool.Rent(rows), sum = pool.Rent(rows), acc = pool.Rent(rows * headDim);
            float[] kt = pool.Rent(headDim * KeyChunk), v = pool.Rent(KeyChunk * headDim);
            float[] s = pool.Rent(KeyChunk), row = pool.Rent(headDim);
            try
            {
                Array.Fill(max, float.NegativeInfinity, 0, rows);
                Array.Clear(sum, 0, rows);
                Array.Clear(acc, 0, rows * headDim);
                foreach (var block in blocks)
                {
                    int lastVisible = block.VisibleTo(q0 + nq - 1);
                    for (int c0 = 0; c0 < lastVisible; c0 += KeyChunk)
                    {
                        int nk = Math.Min(KeyChunk, lastVisible - c0);
                        LoadChunk(block.Segment, kvHead, c0, nk, kt, v, row);
                        for (int qi = 0; qi < nq; qi++)
                        {
                            int visible = Math.Min(nk, block.VisibleTo(q0 + qi) - c0);
                            if (visible <= 0) continue;
                            for (int hh = 0; hh < group; hh++)
                            {
                                int r = qi * group + hh;
                                float* qRow = q + ((long)(q0 + qi) * heads + kvHead * group + hh) * headDim;
                                Update(qRow, kt, v, visible, s.AsSpan(0, visible), ref max[r], ref sum[r], acc.AsSpan(r * headDim, headDim));
                            }
                        }
                    }
                }
                for (int qi = 0; qi < nq; qi++)
                {
                    for (int hh = 0; hh < group; hh++)
                    {
                        int r = qi * group + hh;
                        var dst = new Span<float>(output + ((long)(q0 + qi) * heads + kvHead * group + hh) * headDim, headDim);
                        // Every row sees at least its own key, so sum > 0.
                        TensorPrimitives.Multiply(acc.AsSpan(r * headDim, headDim), 1f / sum[r], dst);
                    }
                }
            }
            finally
            {
                pool.Return(max); pool.Return(sum); pool.Return(acc);
                pool.Return(kt); pool.Return(v); pool.Return(s); pool.Return(row);
            }
        }

        // Converts keys [c0, c0+nk) of one kv head to f32: K transposed to [head_dim][chunk], V as [chunk][head_dim].
        private void LoadChunk(KvSegment segment, int kvHead, int c0, int nk, float[] kt, float[] v, float[] row)
        {
            int kvDim = segment.KvDim, elem = segment.ElementBytes;
            byte* keys = segment.Keys(layer), values = segment.Values(layer);
            for (int j = 0; j < nk; j++)
            {
                long offset = ((long)(c0 + j) * kvDim + kvHead * headDim) * elem;
                Convert(keys + offset, segment.DataType, row.AsSpan(0, headDim));
                for (int d = 0; d < headDim; d++) kt[d * KeyChunk + j] = row[d];
                Convert(values + offset, segment.DataType, v.AsSpan(j * headDim, headDim));
            }
        }

        private static void Convert(byte* source, KvDataType type, Span<float> destination)
        {
            switch (type)
            {
                case KvDataType.F32: new ReadOnlySpan<float>(source, destination.Length).CopyTo(destination); break;
                case KvDataType.F16: TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(source, destination.Length), destination); break;
                default: FloatConversions.BFloat16ToSingle(new ReadOnlySpan<ushort>(source, destination.Length), destination); break;
            }
        }

        // One online-softmax step of one query row over `visible` keys of the loaded chunk.
        private void Update(float* qRow, float[] kt, float[] v, int visible, Span<float> scores, ref float runningMax, ref float runningSum, Span<float> acc)
        {
            scores.Clear();
            for (int d = 0; d < headDim; d++)
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(kt, d * KeyChunk, visible), qRow[d], scores, scores);
            TensorPrimitives.Multiply(scores, scale, scores);
            float chunkMax = TensorPrimitives.Max(scores);
            float newMax = Math.Max(runningMax, chunkMax);
            float correction = MathF.Exp(runningMax - newMax);
            TensorPrimitives.Subtract(scores, newMax, scores);
            TensorPrimitives.Exp(scores, scores);
            runningSum = runningSum * correction + TensorPrimitives.Sum(scores);
            runningMax = newMax;
            if (correction != 1f) TensorPrimitives.Multiply(acc, correction, acc);
            for (int j = 0; j < visible; j++)
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(v, j * headDim, headDim), scores[j], acc, acc);
        }
    }
}
