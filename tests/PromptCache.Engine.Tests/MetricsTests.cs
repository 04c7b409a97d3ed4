using System.Diagnostics.Metrics;
using PromptCache.Runtime.Generation;

namespace PromptCache.Engine.Tests;

public sealed class MetricsTests
{
    [Fact]
    public async Task Calls_publish_ttft_and_prefill_tokens_on_the_engine_meter()
    {
        var ttft = new List<double>();
        var prefill = new List<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PromptCacheEngine.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => { if (i.Name == "promptcache.engine.ttft") lock (ttft) ttft.Add(v); });
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => { if (i.Name == "promptcache.engine.prefill.tokens") lock (prefill) prefill.Add(v); });
        listener.Start();

        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Pick, "pick"));
        var result = await engine.RunAsync(Requests.Pick("a", null, " so"), new GenerationOptions { MaxTokens = 2, IgnoreEos = true });

        lock (ttft) Assert.Contains(ttft, v => Math.Abs(v - result.TimeToFirstToken.TotalMilliseconds) < 1e-6);
        lock (prefill) Assert.Contains(prefill, v => v == result.Stats.PrefillTokens);
        var counters = engine.GetCounters();
        Assert.Equal(result.Stats.ModuleHits, counters.ModuleHits);
        Assert.True(counters.Store.MemoryBytes > 0, "the warmed segments are in the store's memory tier");
    }
}
