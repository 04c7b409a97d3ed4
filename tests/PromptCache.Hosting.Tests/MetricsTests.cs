using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using PromptCache.Engine;
using PromptCache.Runtime.Generation;

namespace PromptCache.Hosting.Tests;

public sealed class MetricsTests
{
    private sealed record Recorded(string Instrument, double Value, Dictionary<string, object?> Tags);

    [Fact]
    public async Task The_PromptCache_meter_reports_ttft_prefill_hits_misses_and_bytes_per_tier()
    {
        using var host = TestHosts.Create(null, b => b.WarmSchemas(TestHosts.TripSource));
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var seen = new ConcurrentQueue<Recorded>();
        using var listener = new MeterListener();
        // Only this host's meter: parallel tests publish under the same name from other factories.
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "PromptCache" && ReferenceEquals(instrument.Meter.Scope, factory)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => seen.Enqueue(new(i.Name, v, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => seen.Enqueue(new(i.Name, v, ToDictionary(tags))));
        listener.Start();

        await host.StartAsync();
        await TestHosts.WaitReadyAsync(host);
        var cache = host.Services.GetRequiredService<IPromptCache>();
        var result = await cache.RunAsync(TripRequests.City("2 days", "Oslo", "Go."), new GenerationOptions { MaxTokens = 2, IgnoreEos = true });
        await foreach (var _ in cache.StreamAsync(TripRequests.City("2 days", "Oslo", "Again."), new GenerationOptions { MaxTokens = 2, IgnoreEos = true }))
        {
        }
        listener.RecordObservableInstruments();

        var ttft = seen.Where(r => r.Instrument == "promptcache.ttft").ToList();
        Assert.Equal(2, ttft.Count);
        Assert.All(ttft, r => Assert.True(r.Value > 0));
        Assert.All(ttft, r => Assert.Equal("hosting-trip", r.Tags["promptcache.schema"]));
        Assert.Contains(seen, r => r.Instrument == "promptcache.prefill.tokens" && r.Value == result.Stats.PrefillTokens);
        Assert.Contains(seen, r => r.Instrument == "promptcache.cache.hits" && (string?)r.Tags["promptcache.phase"] == "call" && r.Value == result.Stats.ModuleHits);
        var misses = seen.Where(r => r.Instrument == "promptcache.cache.misses").ToList();
        var engine = await host.Services.GetRequiredService<HostedPromptCache>().GetEngineAsync();
        Assert.Equal(engine.GetCounters().SegmentsComputed, misses.Sum(r => r.Value));
        Assert.True(misses.Sum(r => r.Value) > 0);

        var bytes = seen.Where(r => r.Instrument == "promptcache.store.bytes").ToDictionary(r => (string)r.Tags["tier"]!, r => r.Value);
        Assert.Equal(engine.GetCounters().Store.MemoryBytes, bytes["memory"]);
        Assert.True(bytes["memory"] > 0);
        Assert.Equal(0, bytes["disk"]);
        Assert.Equal(2, seen.Count(r => r.Instrument == "promptcache.cache.evictions"));
        await host.StopAsync();
    }

    private static Dictionary<string, object?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>();
        foreach (var tag in tags) result[tag.Key] = tag.Value;
        return result;
    }
}
