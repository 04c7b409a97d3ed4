using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Models;

namespace PromptCache.Engine.Tests;

/// <summary>The CPU backend behind a seam the tests can watch: override what a test records.</summary>
internal abstract unsafe class CpuForwardingBackend : IComputeBackend
{
    private readonly IComputeBackend _cpu = CpuBackend.Instance;

    public abstract string Name { get; }
    public float* Allocate(long count) => _cpu.Allocate(count);
    public void Free(float* buffer) => _cpu.Free(buffer);
    public void Embed(in WeightTensor embedding, ReadOnlySpan<int> ids, float* y) => _cpu.Embed(embedding, ids, y);
    public void MatMul(float* x, int m, in WeightTensor w, float* y) => _cpu.MatMul(x, m, w, y);
    public void AddBias(float* x, int m, float[] bias) => _cpu.AddBias(x, m, bias);
    public void RmsNorm(float* x, float* y, int rows, int width, float[] weight, float eps) => _cpu.RmsNorm(x, y, rows, width, weight, eps);
    public void Rope(float* x, int m, int heads, RopeTable table, RopeStyle style) => _cpu.Rope(x, m, heads, table, style);
    public void SiluMul(float* gate, float* up, long count) => _cpu.SiluMul(gate, up, count);
    public void Add(float* x, float* y, long count) => _cpu.Add(x, y, count);
    public virtual void StoreKv(KvSegment segment, int layer, int start, float* k, float* v, int m) => _cpu.StoreKv(segment, layer, start, k, v, m);
    public void Attention(float* q, int m, int heads, ReadOnlySpan<KvBlock> context, int layer, float* output) => _cpu.Attention(q, m, heads, context, layer, output);
    public void CopyToHost(float* source, Span<float> destination) => _cpu.CopyToHost(source, destination);
    public virtual IDisposable? PinHostMemory(void* address, long bytes) => null;
}
