using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PromptCache.Engine;
using PromptCache.Hosting.Logging;
using PromptCache.Pml.Registry;

namespace PromptCache.Hosting.Warmup;

/// <summary>
/// Loads the model and warms the chosen schemas when the host starts, logging each schema (i/n,
/// segments, loaded from the store or computed, tokens) and driving <see cref="PromptCacheReadiness"/>.
/// </summary>
/// <remarks>
/// By default warming runs in the background: the host starts serving at once and the readiness
/// check keeps traffic away until warming ends (a model load plus precompute can take minutes, and a
/// liveness probe must not kill the process meanwhile). With
/// <see cref="PromptCacheOptions.BlockStartupUntilWarm"/> the host's start waits for warming, and a
/// failure fails start-up.
/// </remarks>
internal sealed class PromptCacheWarmupService(
    HostedPromptCache cache,
    PromptCacheReadiness readiness,
    IOptions<PromptCacheOptions> options,
    IOptions<PromptCacheWarmupOptions> warmup,
    ILoggerFactory loggerFactory) : IHostedService, IDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger(PromptCacheLog.Category);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _warming;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.BlockStartupUntilWarm)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
            await WarmAsync(rethrow: true, linked.Token).ConfigureAwait(false);
            return;
        }
        _warming = Task.Run(() => WarmAsync(rethrow: false, _stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_warming is null) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        // Warming observes the token between forward passes; do not outwait the host's shutdown timeout.
        await _warming.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WarmAsync(bool rethrow, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        int computedSegments = 0, loadedSegments = 0;
        long computedTokens = 0;
        int total = 0;
        try
        {
            var selection = warmup.Value;
            var catalog = PromptSchemaCatalog.All;
            if (selection.AllCatalogSchemas && catalog.Count == 0) PromptCacheLog.CatalogEmpty(_logger);
            var sources = WarmupPlan.Resolve(selection, catalog);
            total = sources.Count;

            readiness.LoadingModel(total);
            PromptCacheLog.WarmupStarting(_logger, total, options.Value.ModelDescription, options.Value.Backend.ToString());
            await cache.GetEngineAsync(ct).ConfigureAwait(false);

            readiness.Warming();
            var warmed = new List<string>();
            var progress = new InlineProgress(p =>
            {
                warmed.Add(p.SchemaName);
                if (p.LoadedFromStore) loadedSegments += p.Segments;
                else computedSegments += p.Segments;
                computedTokens += p.ComputedTokens;
                readiness.SchemaWarmed(p.Completed);
                PromptCacheLog.SchemaWarmed(_logger, p.Completed, p.Total, p.SchemaName, p.Segments,
                    p.LoadedFromStore ? "loaded from the cache store" : "computed", p.ComputedTokens, p.Elapsed.TotalMilliseconds);
            });
            await cache.WarmAsync(sources, progress, ct).ConfigureAwait(false);
            await RehearseAsync(warmed, ct).ConfigureAwait(false);

            PromptCacheLog.WarmupCompleted(_logger, total, computedSegments, computedTokens, loadedSegments, clock.Elapsed.TotalMilliseconds);
            readiness.Ready();
        }
        catch (OperationCanceledException e) when (ct.IsCancellationRequested)
        {
            PromptCacheLog.WarmupCanceled(_logger, readiness.CompletedSchemas, total);
            readiness.Fail(e);
            if (rethrow) throw;
        }
        catch (Exception e)
        {
            PromptCacheLog.WarmupFailed(_logger, e);
            readiness.Fail(e);
            if (rethrow) throw;
        }
    }

    // Runs the request path before traffic arrives (PromptCacheOptions.RehearsalRequests), schema by schema.
    private async Task RehearseAsync(IReadOnlyList<string> schemas, CancellationToken ct)
    {
        int requests = options.Value.RehearsalRequests;
        if (requests == 0 || schemas.Count == 0) return;
        var engine = await cache.GetEngineAsync(ct).ConfigureAwait(false);
        foreach (string schema in schemas)
        {
            var clock = Stopwatch.StartNew();
            await engine.RehearseAsync(schema, requests, ct).ConfigureAwait(false);
            PromptCacheLog.SchemaRehearsed(_logger, schema, requests, clock.Elapsed.TotalMilliseconds);
        }
    }

    // Cancels instead of disposing the source: the host may call StopAsync after the container has
    // disposed this service (seen with WebApplicationFactory), and a plain source with no timer,
    // links or wait handle holds nothing that needs freeing.
    public void Dispose() => _stopping.Cancel();
}
