using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Models;

namespace PromptCache.Cuda.Bench;

/// <summary>
/// Passes every call on to a backend, first telling <see cref="OnOp"/> which category of work it is ("gemm",
/// "attention", "norm", ...): the per-op profile records a GPU event there. The calls reach the backend in the
/// same order, so its fusions (grouped GEMMs, RoPE in the readers, held attention) see what they always see.
/// </summary>
internal sealed unsafe class OpMarkingBackend(IComputeBackend inner, int vocabSize) : IComputeBackend
{
    /// <summary>Called with the category before each call that does work on the device; null: nothing.</summary>
    public Action<string>? OnOp { get; set; }

    public string Name => inner.Name;
    public int PreferredChunkTokens => inner.PreferredChunkTokens;
    public float* Allocate(long count) => inner.Allocate(count);
    public void Free(float* buffer) => inner.Free(buffer);
    public void Flush() => inner.Flush();
    public IDisposable? PinHostMemory(void* address, long bytes) => inner.PinHostMemory(address, bytes);
    public void CopyToHost(float* source, Span<float> destination) => inner.CopyToHost(source, destination);

    public void Embed(in WeightTensor embedding, ReadOnlySpan<int> ids, float* y)
    {
        Mark("embed");
        inner.Embed(embedding, ids, y);
    }

    public void MatMul(float* x, int m, in WeightTensor w, float* y)
    {
        Mark(w.Rows == vocabSize ? "head" : "gemm");
        inner.MatMul(x, m, w, y);
    }

    public void MatMulAdd(float* x, int m, in WeightTensor w, float* y, float* scratch)
    {
        Mark("gemm");
        inner.MatMulAdd(x, m, w, y, scratch);
    }

    public void AddBias(float* x, int m, float[] bias)
    {
        Mark("elementwise");
        inner.AddBias(x, m, bias);
    }

    public void RmsNorm(float* x, float* y, int rows, int width, float[] weight, float eps)
    {
        Mark("norm");
        inner.RmsNorm(x, y, rows, width, weight, eps);
    }

    public void Rope(float* x, int m, int heads, RopeTable table, RopeStyle style)
    {
        Mark("rope");
        inner.Rope(x, m, heads, table, style);
    }

    public void SiluMul(float* gate, float* up, long count)
    {
        Mark("elementwise");
        inner.SiluMul(gate, up, count);
    }

    public void Add(float* x, float* y, long count)
    {
        Mark("elementwise");
        inner.Add(x, y, count);
    }

    public void StoreKv(KvSegment segment, int layer, int start, float* k, float* v, int m)
    {
        Mark("store_kv");
        inner.StoreKv(segment, layer, start, k, v, m);
    }

    public void Attention(float* q, int m, int heads, ReadOnlySpan<KvBlock> context, int layer, float* output)
    {
        Mark("attention");
        inner.Attention(q, m, heads, context, layer, output);
    }

    private void Mark(string category) => OnOp?.Invoke(category);
}
