using PromptCache.Engine.Synthetic;
using PromptCache.Runtime.Generation;
using PromptCache.Runtime.Inference;

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
    private sealed unsafe class StoreRecorder : CpuForwardingBackend
    {
        public List<KvSegment> Stored { get; } = [];

        public override string Name => "recorder";

        public override void StoreKv(KvSegment segment, int layer, int start, float* k, float* v, int m)
        {
            lock (Stored)
                if (layer == 0) Stored.Add(segment);
            base.StoreKv(segment, layer, start, k, v, m);
        }
    }
}
