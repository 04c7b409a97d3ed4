using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using PromptCache.Engine;

namespace PromptCache.Hosting.Tests;

public sealed class WarmupTests
{
    private static Task<HealthReport> ReadinessAsync(IHost host) =>
        host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains("ready"));

    [Fact]
    public async Task Readiness_is_unhealthy_until_warming_ends_then_healthy()
    {
        var logs = new LogSink();
        using var host = TestHosts.Create(null, b => b.WarmSchemas(TestHosts.TripSource), logs);

        var before = await ReadinessAsync(host);
        Assert.Equal(HealthStatus.Unhealthy, before.Status);
        Assert.Contains("not ready: Pending", before.Entries["promptcache"].Description);

        await host.StartAsync();
        await TestHosts.WaitReadyAsync(host);
        var after = await ReadinessAsync(host);
        Assert.Equal(HealthStatus.Healthy, after.Status);
        Assert.Equal(1, after.Entries["promptcache"].Data["schemasWarmed"]);

        var engine = await host.Services.GetRequiredService<HostedPromptCache>().GetEngineAsync();
        Assert.Contains("hosting-trip", engine.SchemaNames);

        var events = logs.Entries.Where(e => e.Category == "PromptCache.Hosting").ToList();
        Assert.Contains(events, e => e.Event.Id == 1 && e.Event.Name == "WarmupStarting" && e.Message.Contains("1 schema(s)"));
        Assert.Contains(events, e => e.Event.Id == 2 && e.Event.Name == "ModelLoaded");
        Assert.Contains(events, e => e.Event.Id == 3 && e.Message.Contains("schema 1/1 'hosting-trip'") && e.Message.Contains("computed"));
        Assert.Contains(events, e => e.Event.Id == 4 && e.Event.Name == "WarmupCompleted");
        Assert.Contains(events, e => e.Event.Id == 9 && e.Message.Contains("CPU"));
        await host.StopAsync();
    }

    [Fact]
    public async Task Rehearsal_calls_run_after_warming_and_before_ready_without_counting_as_requests()
    {
        var logs = new LogSink();
        using var host = TestHosts.Create(o => o.RehearsalRequests = 2, b => b.WarmSchemas(TestHosts.TripSource), logs);
        await host.StartAsync();
        await TestHosts.WaitReadyAsync(host);

        var events = logs.Entries.Where(e => e.Category == "PromptCache.Hosting").ToList();
        int rehearsed = events.FindIndex(e => e.Event.Id == 10 && e.Event.Name == "SchemaRehearsed" && e.Message.Contains("'hosting-trip': 2 rehearsal call(s)"));
        Assert.True(rehearsed >= 0, "the rehearsal was logged");
        Assert.True(rehearsed < events.FindIndex(e => e.Event.Id == 4), "rehearsal ends before warming is reported complete");
        var engine = await host.Services.GetRequiredService<HostedPromptCache>().GetEngineAsync();
        Assert.Equal(0, engine.GetCounters().CachedRequests);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_failed_warm_up_reports_unhealthy_with_the_exception()
    {
        var logs = new LogSink();
        var broken = new PromptSchemaSource("<schema name=\"broken\"><module name=\"m\"><parameter name=\"p\"/></module></schema>", "broken.pml");
        using var host = TestHosts.Create(null, b => b.WarmSchemas(broken), logs);
        await host.StartAsync();   // background warming: the host starts anyway

        var readiness = host.Services.GetRequiredService<PromptCacheReadiness>();
        await Assert.ThrowsAsync<PromptCacheException>(() => readiness.WhenReady.WaitAsync(TimeSpan.FromSeconds(60)));
        var report = await ReadinessAsync(host);
        var entry = report.Entries["promptcache"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.IsType<PromptCacheException>(entry.Exception);
        Assert.Contains("broken.pml", entry.Description);
        Assert.Contains(logs.Entries, e => e.Event.Id == 5 && e.Level == Microsoft.Extensions.Logging.LogLevel.Error);
        await host.StopAsync();
    }

    [Fact]
    public async Task BlockStartupUntilWarm_makes_start_wait_and_fail_with_warming()
    {
        using (var host = TestHosts.Create(o => o.BlockStartupUntilWarm = true, b => b.WarmSchemas(TestHosts.TripSource)))
        {
            await host.StartAsync();
            Assert.Equal(PromptCacheWarmupStatus.Ready, host.Services.GetRequiredService<PromptCacheReadiness>().Status);
            await host.StopAsync();
        }

        var broken = new PromptSchemaSource("<schema name=\"x\"><oops", "x.pml");
        using var failing = TestHosts.Create(o => o.BlockStartupUntilWarm = true, b => b.WarmSchemas(broken));
        await Assert.ThrowsAsync<PromptCacheException>(() => failing.StartAsync());
    }

    [Fact]
    public async Task A_restarted_host_warms_from_the_disk_cache_without_computing()
    {
        string disk = TestHosts.TempDirectory();
        var first = new LogSink();
        using (var host = TestHosts.Create(o => o.DiskCache = disk, b => b.WarmSchemas(TestHosts.TripSource), first))
        {
            await host.StartAsync();
            await TestHosts.WaitReadyAsync(host);
            await host.StopAsync();
        }   // disposing the host disposes the engine, which finishes its disk writes

        var second = new LogSink();
        using (var host = TestHosts.Create(o => o.DiskCache = disk, b => b.WarmSchemas(TestHosts.TripSource), second))
        {
            await host.StartAsync();
            await TestHosts.WaitReadyAsync(host);
            var engine = await host.Services.GetRequiredService<HostedPromptCache>().GetEngineAsync();
            var counters = engine.GetCounters();
            Assert.Equal(0, counters.SegmentsComputed);
            Assert.True(counters.SegmentsLoaded > 0);
            Assert.Contains(second.Entries, e => e.Event.Id == 3 && e.Message.Contains("loaded from the cache store") && e.Message.Contains("0 token(s) computed"));
            await host.StopAsync();
        }
        Assert.Contains(first.Entries, e => e.Event.Id == 3 && e.Message.Contains("computed"));
    }
}
