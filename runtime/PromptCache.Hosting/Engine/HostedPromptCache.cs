using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PromptCache.Engine;
using PromptCache.Hosting.Logging;
using PromptCache.Hosting.Metrics;
using PromptCache.Hosting.Warmup;
using PromptCache.Pml.Requests;
using PromptCache.Runtime.Generation;

namespace PromptCache.Hosting;

/// <summary>
/// The <see cref="IPromptCache"/> singleton that <c>AddPromptCache</c> registers: it loads the model
/// once, on first use (the start-up warm-up is normally that first use), and records every call on the
/// <c>"PromptCache"</c> meter. Resolving it is cheap; nothing heavy happens in the constructor.
/// </summary>
/// <remarks>
/// A failed load is kept: every later call fails with the same exception, as the readiness check
/// reports it, instead of reloading a broken model on each request.
/// </remarks>
public sealed class HostedPromptCache : IPromptCache, IAsyncDisposable, IDisposable
{
    private readonly PromptCacheOptions _options;
    private readonly PromptCacheMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lazy<Task<PromptCacheEngine>> _engine;
    private BackendSelection? _backend;

    internal HostedPromptCache(IOptions<PromptCacheOptions> options, PromptCacheMetrics metrics, ILoggerFactory loggerFactory)
    {
        _options = options.Value;
        _metrics = metrics;
        _logger = loggerFactory.CreateLogger(PromptCacheLog.Category);
        _engine = new Lazy<Task<PromptCacheEngine>>(() => Task.Run(LoadEngine), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>True once the model has loaded successfully.</summary>
    public bool IsLoaded => _engine.IsValueCreated && _engine.Value.IsCompletedSuccessfully;

    /// <summary>The engine, loading the model on the first call (for counters, uncached comparison runs and other engine-only APIs).</summary>
    public Task<PromptCacheEngine> GetEngineAsync(CancellationToken cancellationToken = default) =>
        _engine.Value.WaitAsync(cancellationToken);

    /// <inheritdoc />
    public async Task WarmAsync(IEnumerable<PromptSchemaSource> schemas, IProgress<WarmProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var engine = await GetEngineAsync(cancellationToken).ConfigureAwait(false);
        var metered = new InlineProgress(report =>
        {
            _metrics.SchemaWarmed(report);
            progress?.Report(report);
        });
        await engine.WarmAsync(schemas, metered, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<string> StreamAsync(PromptRequest request, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        StreamAsync(request, options, new PromptRunStats(), cancellationToken);

    /// <summary>Streams the answer; <paramref name="stats"/> receives TTFT and cache accounting as the call runs.</summary>
    public async IAsyncEnumerable<string> StreamAsync(PromptRequest request, GenerationOptions? options, PromptRunStats stats,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(stats);
        var engine = await GetEngineAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await foreach (string piece in engine.StreamAsync(request, options, stats, cancellationToken).ConfigureAwait(false))
                yield return piece;
        }
        finally
        {
            // Recorded when the stream ends or is abandoned; a call that never reached its first token records nothing.
            if (stats.TimeToFirstToken > TimeSpan.Zero) _metrics.CallCompleted(request.SchemaName, stats);
        }
    }

    /// <inheritdoc />
    public async Task<PromptResult> RunAsync(PromptRequest request, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var engine = await GetEngineAsync(cancellationToken).ConfigureAwait(false);
        var result = await engine.RunAsync(request, options, cancellationToken).ConfigureAwait(false);
        _metrics.CallCompleted(request.SchemaName, result.Stats);
        return result;
    }

    // Conversation turns of the chat client run on the engine directly; they are recorded here like calls.
    internal void RecordConversationTurn(string schemaName, PromptRunStats stats, Engine.Conversations.ConversationTurnInfo? turn)
    {
        if (stats.TimeToFirstToken > TimeSpan.Zero) _metrics.CallCompleted(schemaName, stats);
        if (turn is not null) _metrics.ConversationTurn(schemaName, turn);
    }

    private PromptCacheEngine LoadEngine()
    {
        var clock = Stopwatch.StartNew();
        _backend = BackendSelection.Choose(_options.Backend, _options.DeviceBudgetBytes, _options.CudaSettings);
        PromptCacheLog.BackendSelected(_logger, _backend.Name, _backend.Reason);
        var engineOptions = _options.ToEngineOptions(message => PromptCacheLog.EngineMessage(_logger, message));
        var engine = _options.Model is { } path
            ? PromptCacheEngine.Load(path, engineOptions, _backend.Backend)
            : PromptCacheEngine.CreateSynthetic(_options.SyntheticShape, _options.SyntheticSeed, engineOptions, _backend.Backend);
        _metrics.ObserveStore(() => engine.GetCounters().Store);
        PromptCacheLog.ModelLoaded(_logger, clock.Elapsed.TotalMilliseconds, _options.ModelDescription);
        return engine;
    }

    /// <summary>Disposes the engine (finishing pending disk writes) when it was loaded.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_engine.IsValueCreated)
        {
            try
            {
                var engine = await _engine.Value.ConfigureAwait(false);
                await engine.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception) when (!_engine.Value.IsCompletedSuccessfully)
            {
                // The load failed: there is no engine to dispose, and the failure was already reported.
            }
        }
        _backend?.Dispose();
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
