using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PromptCache.Hosting.Warmup;

/// <summary>
/// The "promptcache" readiness check (tag "ready"): the registration's failure status (Unhealthy by
/// default) while the model loads and schemas warm, Healthy once warming ended, Unhealthy with the
/// exception when it failed.
/// </summary>
internal sealed class PromptCacheHealthCheck(PromptCacheReadiness readiness) : IHealthCheck
{
    public const string Name = "promptcache";
    public const string ReadyTag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["status"] = readiness.Status.ToString(),
            ["schemasWarmed"] = readiness.CompletedSchemas,
            ["schemasTotal"] = readiness.TotalSchemas,
        };
        var result = readiness.Status switch
        {
            PromptCacheWarmupStatus.Ready => HealthCheckResult.Healthy($"PromptCache is warm ({readiness.TotalSchemas} schema(s)).", data),
            PromptCacheWarmupStatus.Failed => HealthCheckResult.Unhealthy("PromptCache warming failed: " + readiness.Failure?.Message, readiness.Failure, data),
            var status => new HealthCheckResult(context.Registration.FailureStatus,
                $"PromptCache is not ready: {status} ({readiness.CompletedSchemas}/{readiness.TotalSchemas} schemas warmed).", data: data),
        };
        return Task.FromResult(result);
    }
}
