namespace PromptCache.Hosting;

/// <summary>
/// The readiness signal of start-up warming, a singleton: the "promptcache" health check reads it, and
/// code that must not run cold can await <see cref="WhenReady"/>.
/// </summary>
public sealed class PromptCacheReadiness
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile PromptCacheWarmupStatus _status = PromptCacheWarmupStatus.Pending;
    private volatile Exception? _failure;
    private int _completed, _total;

    /// <summary>Where warming stands.</summary>
    public PromptCacheWarmupStatus Status => _status;

    /// <summary>Why warming failed, or null.</summary>
    public Exception? Failure => _failure;

    /// <summary>Schemas warmed so far.</summary>
    public int CompletedSchemas => Volatile.Read(ref _completed);

    /// <summary>Schemas to warm (known once warming starts).</summary>
    public int TotalSchemas => Volatile.Read(ref _total);

    /// <summary>Completes when warming succeeds; faults with the failure when it fails.</summary>
    public Task WhenReady => _ready.Task;

    internal void LoadingModel(int totalSchemas)
    {
        Volatile.Write(ref _total, totalSchemas);
        _status = PromptCacheWarmupStatus.LoadingModel;
    }

    internal void Warming() => _status = PromptCacheWarmupStatus.Warming;

    internal void SchemaWarmed(int completed) => Volatile.Write(ref _completed, completed);

    internal void Ready()
    {
        _status = PromptCacheWarmupStatus.Ready;
        _ready.TrySetResult();
    }

    internal void Fail(Exception failure)
    {
        _failure = failure;
        _status = PromptCacheWarmupStatus.Failed;
        _ready.TrySetException(failure);
        // Nobody may ever await WhenReady; observe the exception so it is not reported as unobserved.
        _ = _ready.Task.Exception;
    }
}
