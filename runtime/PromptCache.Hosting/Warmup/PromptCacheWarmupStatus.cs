namespace PromptCache.Hosting;

/// <summary>Where start-up warming stands.</summary>
public enum PromptCacheWarmupStatus
{
    /// <summary>The hosted service has not started yet.</summary>
    Pending,

    /// <summary>The model is loading.</summary>
    LoadingModel,

    /// <summary>Schemas are being bound and their module K/V loaded or computed.</summary>
    Warming,

    /// <summary>Every schema is warm: typed calls run from cached K/V.</summary>
    Ready,

    /// <summary>Loading or warming failed (or was canceled); <see cref="PromptCacheReadiness.Failure"/> says why.</summary>
    Failed,
}
