using System.Diagnostics.Metrics;
using PromptCache.Engine;
using PromptCache.Engine.Conversations;
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
/// <item><c>promptcache.session.loads</c> (counter): chat conversation turns that continued a session; tag <c>source</c> = <c>memory</c>, <c>disk</c> (spilled, loaded back) or <c>recomputed</c> (gone from the store).</item>
/// <item><c>promptcache.session.recomputed.tokens</c> (counter): session tokens those turns had to recompute.</item>
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
    private readonly Counter<long> _sessionLoads;
    private readonly Counter<long> _sessionRecomputed;
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
        _sessionLoads = _meter.CreateCounter<long>("promptcache.session.loads", "{turn}", "Conversation turns that continued a stored session, by where its history came from.");
        _sessionRecomputed = _meter.CreateCounter<long>("promptcache.session.recomputed.tokens", "{token}", "Session tokens recomputed because the session was gone from the store.");
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

    /// <summary>Records where a conversation turn found its history (a first turn, with none, records nothing).</summary>
    public void ConversationTurn(string schemaName, ConversationTurnInfo turn)
    {
        string? source = turn.Source switch
        {
            SessionSource.Memory => "memory",
            SessionSource.Disk => "disk",
            SessionSource.Recomputed => "recomputed",
            _ => null,
        };
        if (source is null) return;
        var schema = new KeyValuePair<string, object?>("promptcache.schema", schemaName);
        _sessionLoads.Add(1, schema, new("source", source));
        if (turn.RecomputedTokens > 0) _sessionRecomputed.Add(turn.RecomputedTokens, schema);
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
