using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using PromptCache.Engine;
using PromptCache.Runtime.Generation;

namespace PromptCache.Hosting.Tests;

public sealed class ServiceRegistrationTests
{
    [Fact]
    public async Task IPromptCache_resolves_to_one_lazily_loaded_singleton()
    {
        using var host = TestHosts.Create(null);
        var cache = host.Services.GetRequiredService<IPromptCache>();
        var hosted = Assert.IsType<HostedPromptCache>(cache);
        Assert.Same(cache, host.Services.GetRequiredService<IPromptCache>());
        Assert.Same(hosted, host.Services.GetRequiredService<HostedPromptCache>());
        Assert.False(hosted.IsLoaded);   // resolving loads nothing

        var engine = await hosted.GetEngineAsync();
        Assert.True(hosted.IsLoaded);
        Assert.Same(engine, await hosted.GetEngineAsync());
        Assert.StartsWith("synthetic:", engine.ModelIdentity, StringComparison.Ordinal);   // no Model: the embedded default
    }

    [Fact]
    public async Task A_call_through_IPromptCache_runs_on_the_engine()
    {
        using var host = TestHosts.Create(null);
        var cache = host.Services.GetRequiredService<IPromptCache>();
        await cache.WarmAsync([TestHosts.TripSource]);
        var result = await cache.RunAsync(TripRequests.City("3 days", "Rome", "Plan it."), new GenerationOptions { MaxTokens = 4, IgnoreEos = true });
        Assert.Equal(4, result.TokenIds.Count);
        Assert.True(result.Stats.UsedCache);
        Assert.True(result.Stats.CachedTokens > 0);
    }

    [Fact]
    public void Options_reach_the_container_and_a_second_AddPromptCache_adds_only_configuration()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPromptCache(TestHosts.Tiny);
        services.AddPromptCache(o => o.TenantSalt = "tenant-a");
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<PromptCacheOptions>>().Value;
        Assert.Equal("tenant-a", options.TenantSalt);
        Assert.Equal("tiny", options.SyntheticShape.Name);
        Assert.Single(provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<Warmup.PromptCacheWarmupService>());
        var checks = provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations;
        var check = Assert.Single(checks);
        Assert.Equal("promptcache", check.Name);
        Assert.Contains("ready", check.Tags);
    }

    [Fact]
    public void WarmSchemas_rejects_null_entries_at_the_call()
    {
        var builder = new ServiceCollection().AddPromptCache();
        Assert.Throws<ArgumentException>(() => builder.WarmSchemas(new string[] { "a", null! }));
        Assert.Throws<ArgumentNullException>(() => builder.WarmSchemas((PromptSchemaSource[])null!));
    }
}
