using PromptCache.Engine.Synthetic;
using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Generation;
using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Models;

namespace PromptCache.Engine.Tests;

/// <summary>
/// A request's session segment is never read on the host, so the engine lets a GPU backend keep its rows on the
/// device (<see cref="KvSegment.HostWriteBack"/> off); the modules it caches and persists keep their host copies.
/// </summary>
public sealed class SessionHostWriteBackTests
{
    [Fact]
    public async Task Sessions_skip_the_host_copy_and_cached_modules_keep_it()
    {
        var backend = new StoreRecorder();
        await using var engine = PromptCacheEngine.CreateSynthetic(SyntheticShape.Tiny, seed: 7, backend: backend);
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        Assert.NotEmpty(backend.Stored);
        Assert.All(backend.Stored, s => Assert.True(s.HostWriteBack, "a warmed module must keep its host copy (it is stored and persisted)"));

        backend.Stored.Clear();
        await engine.RunAsync(Requests.TripCity("3", "Lisbon", "Plan the days."), new GenerationOptions { MaxTokens = 2, IgnoreEos = true });
        Assert.NotEmpty(backend.Stored);
        Assert.All(backend.Stored, s => Assert.False(s.HostWriteBack, "a request's session segment needs no host copy"));
    }

    // The CPU backend, noting each segment K/V is stored into (what a GPU backend would copy back or not).
    private sealed unsafe class StoreRecorder : IComputeBackend
    {
        private readonly IComputeBackend _cpu = CpuBackend.Instance;

        public List<KvSegment> Stored { get; } = [];

        public string Name => "recorder";
        public float* Allocate(long count) => _cpu.Allocate(count);
        public void Free(float* buffer) => _cpu.Free(buffer);
        public void Embed(in WeightTensor embedding, ReadOnlySpan<int> ids, float* y) => _cpu.Embed(embedding, ids, y);
        public void MatMul(float* x, int m, in WeightTensor w, float* y) => _cpu.MatMul(x, m, w, y);
        public void AddBias(float* x, int m, float[] bias) => _cpu.AddBias(x, m, bias);
        public void RmsNorm(float* x, float* y, int rows, int width, float[] weight, float eps) => _cpu.RmsNorm(x, y, rows, width, weight, eps);
        public void Rope(float* x, int m, int heads, RopeTable table, RopeStyle style) => _cpu.Rope(x, m, heads, table, style);
        public void SiluMul(float* gate, float* up, long count) => _cpu.SiluMul(gate, up, count);
        public void Add(float* x, float* y, long count) => _cpu.Add(x, y, count);
        public void Attention(float* q, int m, int heads, ReadOnlySpan<KvBlock> context, int layer, float* output) => _cpu.Attention(q, m, heads, context, layer, output);
        public void CopyToHost(float* source, Span<float> destination) => _cpu.CopyToHost(source, destination);

        public void StoreKv(KvSegment segment, int layer, int start, float* k, float* v, int m)
        {
            lock (Stored)
                if (layer == 0) Stored.Add(segment);
            _cpu.StoreKv(segment, layer, start, k, v, m);
        }
    }
}
