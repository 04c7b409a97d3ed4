using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Models;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// The managed CPU backend: <see cref="CpuGemm"/> for linear layers, TensorPrimitives (AVX-512/AVX2
/// with scalar fallback) for element-wise work, and <see cref="CpuAttention"/> for attention.
/// Row-wise work is spread over all cores once it is large enough to pay for the fork.
/// </summary>
public sealed unsafe class CpuBackend : IComputeBackend
{
    // Below this many floats of work, Parallel.For costs more than it saves.
    private const long ParallelThreshold = 1 << 15;

    /// <summary>A shared instance; the backend holds no state.</summary>
    public static CpuBackend Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "cpu";

    /// <inheritdoc />
    public float* Allocate(long count)
    {
        nuint bytes = (nuint)(Math.Max(count, 1) * sizeof(float));
        // Chunk-sized activations bypass malloc (Inference/LargeBuffers says why).
        void* large = LargeBuffers.TryAllocate(bytes);
        return (float*)(large != null ? large : NativeMemory.AlignedAlloc(bytes, 64));
    }

    /// <inheritdoc />
    public void Free(float* buffer)
    {
        if (!LargeBuffers.TryFree(buffer)) NativeMemory.AlignedFree(buffer);
    }

    /// <inheritdoc />
    public void Embed(in WeightTensor embedding, ReadOnlySpan<int> ids, float* y)
    {
        int d = embedding.Cols;
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)embedding.Rows)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} at index {i} is outside the vocabulary [0, {embedding.Rows}).");
            byte* row = (byte*)embedding.Data + id * embedding.RowBytes;
            FloatConversions.RowToSingle(row, embedding.Type, d, new Span<float>(y + (long)i * d, d));
        }
    }

    /// <inheritdoc />
    public void MatMul(float* x, int m, in WeightTensor w, float* y) =>
        CpuGemm.MatMulTransposed(x, m, w.Cols, w.Data, w.Type, w.Rows, y);

    /// <inheritdoc />
    public void AddBias(float* x, int m, float[] bias)
    {
        int n = bias.Length;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(x + (long)i * n, n);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    /// <inheritdoc />
    public void RmsNorm(float* x, float* y, int rows, int width, float[] weight, float eps)
    {
        void Row(int i)
        {
            var src = new ReadOnlySpan<float>(x + (long)i * width, width);
            var dst = new Span<float>(y + (long)i * width, width);
            // Sum of squares in float32, like transformers' x.pow(2).mean(-1).
            float meanSquare = TensorPrimitives.SumOfSquares(src) / width;
            float scale = 1f / MathF.Sqrt(meanSquare + eps);
            TensorPrimitives.Multiply(src, scale, dst);
            TensorPrimitives.Multiply(dst, weight, dst);
        }
        For(rows, (long)rows * width, Row);
    }

    /// <inheritdoc />
    public void Rope(float* x, int m, int heads, RopeTable table, RopeStyle style)
    {
        int half = table.HalfDim;
        int headDim = 2 * half;
        void Token(int t)
        {
            var cos = table.Cos.Span.Slice(t * half, half);
            var sin = table.Sin.Span.Slice(t * half, half);
            for (int h = 0; h < heads; h++)
            {
                float* v = x + ((long)t * heads + h) * headDim;
                if (style == RopeStyle.Halves && ElementwiseKernels.CanRotateHalves(half))
                {
                    ElementwiseKernels.RotateHalves(v, cos, sin);
                }
                else if (style == RopeStyle.Halves)
                {
                    for (int i = 0; i < half; i++)
                    {
                        float a = v[i], b = v[i + half];
                        v[i] = a * cos[i] - b * sin[i];
                        v[i + half] = b * cos[i] + a * sin[i];
                    }
                }
                else
                {
                    for (int i = 0; i < half; i++)
                    {
                        float a = v[2 * i], b = v[2 * i + 1];
                        v[2 * i] = a * cos[i] - b * sin[i];
                        v[2 * i + 1] = b * cos[i] + a * sin[i];
                    }
                }
            }
        }
        For(m, (long)m * heads * headDim, Token);
    }

    /// <inheritdoc />
    public void SiluMul(float* gate, float* up, long count)
    {
        const int Chunk = 1 << 14;
        int chunks = (int)((count + Chunk - 1) / Chunk);
        For(chunks, count, c =>
        {
            long start = (long)c * Chunk;
            int n = (int)Math.Min(Chunk, count - start);
            ElementwiseKernels.SiluMul(gate + start, up + start, n);
        });
    }

    /// <inheritdoc />
    public void Add(float* x, float* y, long count)
    {
        const int Chunk = 1 << 16;
        int chunks = (int)((count + Chunk - 1) / Chunk);
        For(chunks, count, c =>
        {
            long start = (long)c * Chunk;
            int n = (int)Math.Min(Chunk, count - start);
            var dst = new Span<float>(x + start, n);
            TensorPrimitives.Add(dst, new ReadOnlySpan<float>(y + start, n), dst);
        });
    }

    /// <inheritdoc />
    public void StoreKv(KvSegment segment, int layer, int start, float* k, float* v, int m)
    {
        int kvDim = segment.KvDim;
        long offset = (long)start * kvDim;
        long count = (long)m * kvDim;
        Store(new ReadOnlySpan<float>(k, checked((int)count)), segment.Keys(layer), offset, segment.DataType);
        Store(new ReadOnlySpan<float>(v, checked((int)count)), segment.Values(layer), offset, segment.DataType);
    }

    private static void Store(ReadOnlySpan<float> source, byte* rows, long offset, KvDataType type)
    {
        switch (type)
        {
            case KvDataType.F32: source.CopyTo(new Span<float>((float*)rows + offset, source.Length)); break;
            case KvDataType.F16: TensorPrimitives.ConvertToHalf(source, new Span<Half>((Half*)rows + offset, source.Length)); break;
            case KvDataType.BF16: FloatConversions.SingleToBFloat16(source, new Span<ushort>((ushort*)rows + offset, source.Length)); break;
        }
    }

    /// <inheritdoc />
    public void Attention(float* q, int m, int heads, ReadOnlySpan<KvBlock> context, int layer, float* output) =>
        CpuAttention.Run(q, m, heads, context, layer, output);

    /// <inheritdoc />
    public void CopyToHost(float* source, Span<float> destination) =>
        new ReadOnlySpan<float>(source, destination.Length).CopyTo(destination);

    private static void For(int items, long work, Action<int> body)
    {
        if (work < ParallelThreshold || items == 1)
        {
            for (int i = 0; i < items; i++) body(i);
        }
        else
        {
            Parallel.For(0, items, body);
        }
    }
}
