using System.Diagnostics.Metrics;
using PromptCache.Runtime.Caching.Store;

namespace PromptCache.Engine.Diagnostics;

/// <summary>
/// The engine's counters, kept with interlocked adds, and published on a
/// <see cref="System.Diagnostics.Metrics.Meter"/> named <see cref="MeterName"/> (OpenTelemetry or
/// dotnet-counters can listen): TTFT and prefill-token histograms, hit/miss/eviction counters and
/// bytes-per-tier gauges.
/// </summary>
internal sealed class EngineMetrics : IDisposable
{
    public const string MeterName = "PromptCache.Engine";

    private readonly Meter _meter;
    private readonly Histogram<double> _ttft;
    private readonly Histogram<long> _prefill;
    private readonly Func<KvCacheCounters> _store;
    private long _schemas, _computed, _loaded, _precomputeTokens, _cachedRequests, _uncachedRequests, _hits, _prefillTokens, _reused, _corrupt;

    public EngineMetrics(Func<KvCacheCounters> store)
    {
        _store = store;
        _meter = new Meter(MeterName);
        _ttft = _meter.CreateHistogram<double>("promptcache.engine.ttft", "ms", "Time to first token of prompt calls.");
        _prefill = _meter.CreateHistogram<long>("promptcache.engine.prefill.tokens", "{token}", "Tokens computed before the first token.");
        _meter.CreateObservableCounter("promptcache.engine.module.hits", () => Interlocked.Read(ref _hits), "{segment}", "Cached segments reused by calls.");
        _meter.CreateObservableCounter("promptcache.engine.module.misses", () => Interlocked.Read(ref _computed), "{segment}", "Segments computed because no cached copy existed.");
        _meter.CreateObservableCounter("promptcache.engine.store.evictions", () => { var c = _store(); return c.MemoryEvictions + c.DiskEvictions; }, "{entry}", "Entries evicted from the store's tiers.");
        _meter.CreateObservableGauge("promptcache.engine.store.memory.bytes", () => _store().MemoryBytes, "By", "Bytes in the store's memory tier.");
        _meter.CreateObservableGauge("promptcache.engine.store.disk.bytes", () => _store().DiskBytes, "By", "Bytes in the store's disk tier.");
    }

    public void SchemaWarmed(int computed, int loaded, int tokens)
    {
        Interlocked.Increment(ref _schemas);
        Interlocked.Add(ref _computed, computed);
        Interlocked.Add(ref _loaded, loaded);
        Interlocked.Add(ref _precomputeTokens, tokens);
    }

    public void CorruptFile() => Interlocked.Increment(ref _corrupt);

    public void Request(bool cached, int hits, int prefillTokens, int reusedTokens, TimeSpan ttft)
    {
        if (cached) Interlocked.Increment(ref _cachedRequests);
        else Interlocked.Increment(ref _uncachedRequests);
        Interlocked.Add(ref _hits, hits);
        Interlocked.Add(ref _prefillTokens, prefillTokens);
        Interlocked.Add(ref _reused, reusedTokens);
        var tag = new KeyValuePair<string, object?>("cached", cached);
        _ttft.Record(ttft.TotalMilliseconds, tag);
        _prefill.Record(prefillTokens, tag);
    }

    public EngineCounters Snapshot() => new()
    {
        SchemasWarmed = Interlocked.Read(ref _schemas),
        SegmentsComputed = Interlocked.Read(ref _computed),
        SegmentsLoaded = Interlocked.Read(ref _loaded),
        PrecomputeTokens = Interlocked.Read(ref _precomputeTokens),
        CachedRequests = Interlocked.Read(ref _cachedRequests),
        UncachedRequests = Interlocked.Read(ref _uncachedRequests),
        ModuleHits = Interlocked.Read(ref _hits),
        PrefillTokens = Interlocked.Read(ref _prefillTokens),
        ReusedTokens = Interlocked.Read(ref _reused),
        CorruptFiles = Interlocked.Read(ref _corrupt),
        Store = _store(),
    };

    public void Dispose() => _meter.Dispose();
}
