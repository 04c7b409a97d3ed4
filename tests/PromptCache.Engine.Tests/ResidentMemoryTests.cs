namespace PromptCache.Engine.Tests;

/// <summary>Module K/V lives once in memory: in the store's memory tier, read in place by calls.</summary>
public sealed class ResidentMemoryTests
{
    [Fact]
    public async Task Warmed_modules_cost_the_formula_bytes_once_and_stay_pinned_under_a_tiny_budget()
    {
        // A budget far below the modules' size: pins win over the budget, so nothing is evicted.
        await using var engine = PromptCacheEngine.CreateSynthetic(Synthetic.SyntheticShape.Tiny, seed: 7, new PromptCacheEngineOptions { MemoryBudgetBytes = 1 });
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var bound = engine.GetSchema("trip");
        var config = engine.Model.Config;
        long bytesPerToken = 2L * config.LayerCount * config.KvHeadCount * config.HeadDim * 4; // f32 K/V
        var counters = engine.GetCounters();
        Assert.Equal(counters.SegmentsComputed, counters.Store.Puts);
        // The root and every cacheable module with tokens of its own (slots and cache="false" modules are not kept).
        long cachedTokens = bound.Owners
            .Where(o => o.Value.Ids.Length > 0 && (o.Key.Length == 0 || (bound.Modules.TryGetValue(o.Key, out var m) && m.IsCacheable)))
            .Sum(o => (long)o.Value.Ids.Length);
        Assert.True(cachedTokens > 0);
        Assert.Equal(cachedTokens * bytesPerToken, counters.Store.MemoryBytes);
        Assert.Equal(0, counters.Store.MemoryEvictions);

        // Calls read the resident entries; they neither copy nor evict them.
        var result = await engine.RunAsync(Requests.TripDefault("a week", "Hi"), new Runtime.Generation.GenerationOptions { MaxTokens = 2, IgnoreEos = true });
        Assert.Equal(2, result.TokenIds.Count);
        Assert.Equal(counters.Store.MemoryBytes, engine.GetCounters().Store.MemoryBytes);
    }
}
