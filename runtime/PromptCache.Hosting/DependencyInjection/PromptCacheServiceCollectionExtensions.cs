using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PromptCache.Engine;
using PromptCache.Hosting.Metrics;
using PromptCache.Hosting.Warmup;

namespace PromptCache.Hosting;

/// <summary>Registers PromptCache in a service collection.</summary>
public static class PromptCacheServiceCollectionExtensions
{
    /// <summary>
    /// Adds PromptCache: <see cref="IPromptCache"/> (a <see cref="HostedPromptCache"/> singleton that
    /// loads the model once), validated <see cref="PromptCacheOptions"/> (checked when the host starts),
    /// a hosted service that loads the model and warms schemas at start-up, the "promptcache" health
    /// check tagged "ready", and the "PromptCache" meter. Call <c>WarmSchemas()</c> on the result to
    /// choose the schemas to warm; without it start-up only loads the model.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; may be called again by a later <c>AddPromptCache</c>.</param>
    /// <returns>A builder for warming and the chat client.</returns>
    public static PromptCacheBuilder AddPromptCache(this IServiceCollection services, Action<PromptCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<PromptCacheOptions>();
        if (configure is not null) options.Configure(configure);

        // A second AddPromptCache only adds its configuration: one engine, one health check per container.
        if (services.Any(d => d.ServiceType == typeof(HostedPromptCache))) return new PromptCacheBuilder(services);

        options.ValidateOnStart();
        services.AddOptions<PromptCacheWarmupOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PromptCacheOptions>, PromptCacheOptionsValidator>());
        services.TryAddSingleton(sp => new PromptCacheMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton(sp => new HostedPromptCache(
            sp.GetRequiredService<IOptions<PromptCacheOptions>>(),
            sp.GetRequiredService<PromptCacheMetrics>(),
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
        services.TryAddSingleton<IPromptCache>(sp => sp.GetRequiredService<HostedPromptCache>());
        services.TryAddSingleton<PromptCacheReadiness>();
        services.AddSingleton<IHostedService>(sp => new PromptCacheWarmupService(
            sp.GetRequiredService<HostedPromptCache>(),
            sp.GetRequiredService<PromptCacheReadiness>(),
            sp.GetRequiredService<IOptions<PromptCacheOptions>>(),
            sp.GetRequiredService<IOptions<PromptCacheWarmupOptions>>(),
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
        services.AddHealthChecks().AddCheck<PromptCacheHealthCheck>(PromptCacheHealthCheck.Name, tags: [PromptCacheHealthCheck.ReadyTag]);
        return new PromptCacheBuilder(services);
    }
}
