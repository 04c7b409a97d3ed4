using System.Diagnostics.Metrics;
using PromptCache.Engine.Conversations;
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
    private long _turns, _sessionMemory, _sessionDisk, _sessionRecomputes, _sessionRecomputedTokens;

    public EngineMetrics(Func<KvCacheCounters> store)
    {
        _store = store;
        _meter = new Meter(MeterName);
        _ttft = _meter.CreateHistogram<double>("promptcache.engine.ttft", "ms", "Time to first token of prompt calls.");
        _prefill = _meter.CreateHistogram<long>("promptcache.engine.prefill.tokens", "{token}", "Tokens computed before the first token.");
        _meter.CreateObservableCounter("promptcache.engine.module.hits", () => Interlocked.Read(ref _hits), "{segment}", "Cached segments reused by calls.");
        _meter.CreateObservableCounter("promptcache.engine.module.misses", () => Interlocked.Read(ref _computed), "{segment}", "Segments computed because no cached copy existed.");
        _meter.CreateObservableCounter("promptcache.engine.store.evictions", () => { var c = _store(); return c.MemoryEvictions + c.DiskEvictions; }, "{entry}", "Entries evicted from the store's tiers.");
        _meter.CreateObservableCounter("promptcache.engine.session.loads", ObserveSessionLoads, "{turn}",
            "Conversation turns by where their session history came from (tag source = memory, disk or recomputed).");
        _meter.CreateObservableCounter("promptcache.engine.session.recomputed.tokens", () => Interlocked.Read(ref _sessionRecomputedTokens), "{token}",
            "Session tokens recomputed because the session was gone from the store.");
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

    /// <summary>Counts one conversation turn by where its history came from (a first turn has none).</summary>
    public void ConversationTurn(ConversationTurnInfo turn)
    {
        Interlocked.Increment(ref _turns);
        switch (turn.Source)
        {
            case SessionSource.Memory: Interlocked.Increment(ref _sessionMemory); break;
            case SessionSource.Disk: Interlocked.Increment(ref _sessionDisk); break;
            case SessionSource.Recomputed: Interlocked.Increment(ref _sessionRecomputes); break;
        }
        Interlocked.Add(ref _sessionRecomputedTokens, turn.RecomputedTokens);
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
        ConversationTurns = Interlocked.Read(ref _turns),
        SessionMemoryLoads = Interlocked.Read(ref _sessionMemory),
        SessionDiskLoads = Interlocked.Read(ref _sessionDisk),
        SessionRecomputes = Interlocked.Read(ref _sessionRecomputes),
        SessionRecomputedTokens = Interlocked.Read(ref _sessionRecomputedTokens),
        CorruptFiles = Interlocked.Read(ref _corrupt),
        Store = _store(),
    };

    private IEnumerable<Measurement<long>> ObserveSessionLoads() =>
    [
        new(Interlocked.Read(ref _sessionMemory), new KeyValuePair<string, object?>("source", "memory")),
        new(Interlocked.Read(ref _sessionDisk), new KeyValuePair<string, object?>("source", "disk")),
        new(Interlocked.Read(ref _sessionRecomputes), new KeyValuePair<string, object?>("source", "recomputed")),
    ];

    public void Dispose() => _meter.Dispose();
}
