using System.Diagnostics;
using PromptCache.Engine.Binding;
using PromptCache.Engine.Caching;
using PromptCache.Engine.Precompute;
using PromptCache.Pml;
using PromptCache.Pml.Layout;
using PromptCache.Pml.Syntax;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Caching.Store;
using PromptCache.Runtime.Inference;

namespace PromptCache.Engine;

// Warming: parse, bind, then load every segment from the store or compute them all.
public sealed partial class PromptCacheEngine
{
    /// <inheritdoc />
    /// <exception cref="PromptCacheException">A schema has errors or does not fit the model; the message names it.</exception>
    public async Task WarmAsync(IEnumerable<PromptSchemaSource> schemas, IProgress<WarmProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schemas);
        var list = schemas.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var clock = Stopwatch.StartNew();
            var (name, segments, loaded, tokens) = await WarmOneAsync(list[i], cancellationToken).ConfigureAwait(false);
            var report = new WarmProgress(name, i + 1, list.Count, segments, loaded, tokens, clock.Elapsed);
            Log($"warmed schema '{name}': {segments} segments {(loaded ? "loaded from the cache store" : $"computed ({tokens} tokens)")} in {clock.Elapsed.TotalMilliseconds:F0} ms");
            progress?.Report(report);
        }
    }

    /// <summary>Warms one schema.</summary>
    public Task WarmAsync(PromptSchemaSource schema, CancellationToken cancellationToken = default) =>
        WarmAsync([schema], null, cancellationToken);

    private async Task<(string Name, int Segments, bool Loaded, int Tokens)> WarmOneAsync(PromptSchemaSource source, CancellationToken ct)
    {
        var parsed = PmlParser.ParseSchema(source.PmlSource, source.FileName, source.Resolve);
        if (parsed.Schema is null || parsed.HasErrors)
        {
            var errors = parsed.Diagnostics.Where(d => d.IsError).Select(d => d.ToString());
            throw new PromptCacheException($"Schema '{source.FileName}' has errors: " + string.Join("; ", errors));
        }
        var schema = parsed.Schema;

        await _warmGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_schemas.TryGetValue(schema.Name, out var existing))
            {
                if (existing.Schema.Schema.ContentHash == schema.ContentHash) return (schema.Name, existing.Segments.Count, true, 0);
                throw new PromptCacheException($"Schema '{schema.Name}' is already warmed with different content (hash {existing.Schema.Schema.ContentHash}, new {schema.ContentHash}); schema names must be unique per engine.");
            }

            var bound = SchemaBinder.Bind(schema, Tokenizer, Markers, _preamble, Model.Config.ContextLength);
            if (source.BuildTimeLayout is { } buildTime) CheckBuildTimeLayout(schema, bound, buildTime);
            var owners = CachedOwners(bound);
            // A warmed schema's modules stay resident: pinned in the store's memory tier, which is
            // their only copy in memory (the engine attends to them in place through leases).
            var pins = owners.Select(o => Store.Pin(_keys.For(schema.ContentHash, o, bound.PreambleLength))).ToList();
            try
            {
                var segments = await TryLoadAsync(bound, owners, ct).ConfigureAwait(false);
                bool loaded = segments is not null;
                int tokens = 0;
                if (segments is null)
                {
                    Dictionary<string, KvSegment> computed;
                    var phase = Stopwatch.StartNew();
                    (computed, tokens) = await ScaffoldPrecompute.RunAsync(bound, Model, Options.KvDataType, ForwardAsync, ct).ConfigureAwait(false);
                    var passes = phase.Elapsed;
                    segments = await StoreComputedAsync(bound, computed, ct).ConfigureAwait(false);
                    Log($"computed schema '{bound.Name}': the passes took {passes.TotalMilliseconds:F0} ms, storing (and page-locking) the segments {(phase.Elapsed - passes).TotalMilliseconds:F0} ms");
                }
                _metrics.SchemaWarmed(loaded ? 0 : segments.Count, loaded ? segments.Count : 0, tokens);
                _schemas[schema.Name] = new SchemaEntry(bound, segments, pins);
                return (schema.Name, segments.Count, loaded, tokens);
            }
            catch
            {
                pins.ForEach(p => p.Dispose());
                throw;
            }
        }
        finally
        {
            _warmGate.Release();
        }
    }

    // Module entries reach the disk tier in the background: a warm-up waits for memory, not for each file's fsync
    // (H100 machine, 4096 tokens of the 7B shape in f16: 0.6 s per 537 MB module, 2.5 s of a 5 s warm-up). The store
    // writes every file atomically either way, and its FlushAsync and DisposeAsync wait for them.
    private static readonly KvPutOptions ModulePut = KvPutOptions.Module with { Persist = KvPersistMode.Background };

    // Puts each computed segment into the store and swaps it for a borrowed view of the store's copy.
    private async Task<Dictionary<string, KvSegment>> StoreComputedAsync(BoundSchema bound, Dictionary<string, KvSegment> computed, CancellationToken ct)
    {
        var result = new Dictionary<string, KvSegment>(StringComparer.Ordinal);
        try
        {
            foreach (var (owner, segment) in computed)
            {
                var key = _keys.For(bound.Schema.ContentHash, owner, bound.PreambleLength);
                await Store.PutAsync(key, new SegmentBlob(segment, $"{bound.Name}:{(owner.Length == 0 ? "<root>" : owner)}"), ModulePut, ct).ConfigureAwait(false);
                if (Store.TryGetResident(key) is { } lease)
                {
                    result[owner] = BorrowModule(lease, bound.Name, owner);
                    segment.Dispose();
                }
                else
                {
                    result[owner] = segment; // Not resident (a store without a host memory tier): keep our own copy.
                }
                computed.Remove(owner);
            }
            return result;
        }
        catch
        {
            Discard(computed);
            Discard(result);
            throw;
        }
    }

    // A read-only segment over a module's store entry, page-locked for a GPU backend (PinModuleHostMemory).
    private KvSegment BorrowModule(KvLease lease, string schema, string owner)
    {
        // The CPU reads host memory in place: nothing to page-lock.
        var pinWith = Options.PinModuleHostMemory && Model.Backend is not CpuBackend ? Model.Backend : null;
        var segment = KvSegmentBytes.Borrow(lease, pinWith, out bool pinned);
        if (pinWith is not null && !pinned && segment.IsBorrowed)
            Log($"cache store: could not page-lock the host memory of '{schema}:{(owner.Length == 0 ? "<root>" : owner)}'; loading it back to the GPU after its device copy is dropped runs synchronously.");
        return segment;
    }

    // The owners whose K/V is kept: the root and every cacheable module that has tokens of its own.
    private static List<string> CachedOwners(BoundSchema bound) =>
        [.. bound.Owners.Where(o => o.Value.Ids.Length > 0 && (o.Key.Length == 0 || (bound.Modules.TryGetValue(o.Key, out var m) && m.IsCacheable))).Select(o => o.Key)];

    // All segments from the store, or null when any is missing (or fails verification): the passes
    // need the whole default path as context anyway, so a partial hit is recomputed in full.
    private async Task<Dictionary<string, KvSegment>?> TryLoadAsync(BoundSchema bound, List<string> owners, CancellationToken ct)
    {
        var result = new Dictionary<string, KvSegment>(StringComparer.Ordinal);
        try
        {
            foreach (string owner in owners)
            {
                var key = _keys.For(bound.Schema.ContentHash, owner, bound.PreambleLength);
                var lease = await Store.TryGetAsync(key, ct).ConfigureAwait(false);
                if (lease is null) return Discard(result);
                var segment = BorrowModule(lease, bound.Name, owner); // The segment owns the lease from here.
                result[owner] = segment;
                if (!segment.Fits(Model.Config) || !segment.Positions.SequenceEqual(bound.Owners[owner].Positions))
                {
                    Log($"cache store: entry for '{bound.Name}:{owner}' does not match the bound layout; recomputing the schema.");
                    return Discard(result);
                }
            }
            return result;
        }
        catch
        {
            Discard(result);
            throw;
        }
    }

    private static Dictionary<string, KvSegment>? Discard(Dictionary<string, KvSegment> segments)
    {
        foreach (var s in segments.Values) s.Dispose();
        return null;
    }

    // Every forward pass of the engine goes through here: the gate bounds concurrency.
    private async Task ForwardAsync(ForwardCall call, CancellationToken ct) =>
        await ForwardAsync(call.Ids, call.Positions, call.Context, call.Output, LogitsMode.None, ct).ConfigureAwait(false);

    private async Task<ForwardResult> ForwardAsync(int[] ids, int[] positions, IReadOnlyList<KvSegment> context, KvSegment? output, LogitsMode logits, CancellationToken ct)
    {
        await _forwardGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => Model.Forward(ids, positions, context, output, logits, ContextVisibility.BelowQueryPosition, ct), ct)
                .ConfigureAwait(false);
        }
        finally
        {
            _forwardGate.Release();
        }
    }

    // The generator binds with role markers only when the project gave tokenizer_config.json, so a binding
    // without markers that matches is as good; the error reports the engine's own binding (offsets without the preamble).
    private void CheckBuildTimeLayout(PmlSchema schema, BoundSchema bound, BuildTimeLayout buildTime)
    {
        string? hash = Options.TokenizerHash;
        string? mismatch = buildTime.FindMismatch(bound.Layout, hash);
        if (mismatch is null) return;
        if (Markers is not null &&
            buildTime.FindMismatch(SchemaLayout.Build(schema).Bind(new TokenizerCounter(Tokenizer), null, contextLength: null), hash) is null)
        {
            return;
        }
        throw new PromptCacheException($"Schema '{schema.Name}': its generated token offsets do not match the loaded tokenizer. {mismatch} " +
            $"Build-time tokenizer hash {buildTime.TokenizerHash}; loaded tokenizer hash {hash ?? "unknown (no tokenizer.json)"}.");
    }
}
