using System.Diagnostics.Metrics;
using PromptCache.Engine;
using PromptCache.Runtime.Caching.Store;

namespace PromptCache.Hosting.Metrics;

/// <summary>
/// The <c>"PromptCache"</c> <see cref="Meter"/> (created through <see cref="IMeterFactory"/> when the
/// container has one, so each host gets its own meter and the factory disposes it):
/// <list type="bullet">
/// <item><c>promptcache.ttft</c> (histogram, ms): time to first token of each call; tag <c>promptcache.schema</c>.</item>
/// <item><c>promptcache.prefill.tokens</c> (histogram): tokens computed before the first token of each call.</item>
/// <item><c>promptcache.cache.hits</c> (counter): cached segments used; tag <c>promptcache.phase</c> = <c>call</c> (reused by a call) or <c>warm</c> (loaded from the store instead of computed).</item>
/// <item><c>promptcache.cache.misses</c> (counter): segments computed at warm-up because the store had no valid copy.</item>
/// <item><c>promptcache.cache.evictions</c> (observable counter): entries evicted from the store; tag <c>tier</c> = memory/disk.</item>
/// <item><c>promptcache.store.bytes</c> (observable gauge, bytes): bytes held per tier; tag <c>tier</c> = memory/disk.</item>
/// </list>
/// The observable instruments report nothing until the engine is loaded.
/// </summary>
internal sealed class PromptCacheMetrics : IDisposable
{
    public const string MeterName = "PromptCache";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Histogram<double> _ttft;
    private readonly Histogram<long> _prefill;
    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private Func<KvCacheCounters>? _store;

    public PromptCacheMetrics(IMeterFactory? meterFactory)
    {
        var options = new MeterOptions(MeterName) { Version = typeof(PromptCacheMetrics).Assembly.GetName().Version?.ToString() };
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(options) ?? new Meter(options);
        _ttft = _meter.CreateHistogram<double>("promptcache.ttft", "ms", "Time to first token of prompt calls.");
        _prefill = _meter.CreateHistogram<long>("promptcache.prefill.tokens", "{token}", "Tokens computed before the first token of a call.");
        _hits = _meter.CreateCounter<long>("promptcache.cache.hits", "{segment}", "Cached K/V segments used instead of computed.");
        _misses = _meter.CreateCounter<long>("promptcache.cache.misses", "{segment}", "K/V segments computed at warm-up because the store had no valid copy.");
        _meter.CreateObservableCounter("promptcache.cache.evictions", ObserveEvictions, "{entry}", "Entries evicted from the cache store.");
        _meter.CreateObservableGauge("promptcache.store.bytes", ObserveBytes, "By", "Bytes held by the cache store, per tier.");
    }

    /// <summary>The meter (its scope is the container's <see cref="IMeterFactory"/> when there is one).</summary>
    public Meter Meter => _meter;

    /// <summary>Starts reporting the store's evictions and bytes (called once the engine is loaded).</summary>
    public void ObserveStore(Func<KvCacheCounters> counters) => Volatile.Write(ref _store, counters);

    public void CallCompleted(string schemaName, PromptRunStats stats)
    {
        var schema = new KeyValuePair<string, object?>("promptcache.schema", schemaName);
        _ttft.Record(stats.TimeToFirstToken.TotalMilliseconds, schema);
        _prefill.Record(stats.PrefillTokens, schema);
        if (stats.ModuleHits > 0) _hits.Add(stats.ModuleHits, schema, new("promptcache.phase", "call"));
    }

    public void SchemaWarmed(WarmProgress progress)
    {
        var schema = new KeyValuePair<string, object?>("promptcache.schema", progress.SchemaName);
        if (progress.LoadedFromStore) _hits.Add(progress.Segments, schema, new("promptcache.phase", "warm"));
        else _misses.Add(progress.Segments, schema, new("promptcache.phase", "warm"));
    }

    private IEnumerable<Measurement<long>> ObserveEvictions()
    {
        if (Volatile.Read(ref _store) is not { } store) return [];
        var c = store();
        return [new(c.MemoryEvictions, new KeyValuePair<string, object?>("tier", "memory")), new(c.DiskEvictions, new KeyValuePair<string, object?>("tier", "disk"))];
    }

    private IEnumerable<Measurement<long>> ObserveBytes()
    {
        if (Volatile.Read(ref _store) is not { } store) return [];
        var c = store();
        return [new(c.MemoryBytes, new KeyValuePair<string, object?>("tier", "memory")), new(c.DiskBytes, new KeyValuePair<string, object?>("tier", "disk"))];
    }

    public void Dispose()
    {
        // A factory-made meter belongs to the factory, which disposes it with the container.
        if (_ownsMeter) _meter.Dispose();
    }
}
