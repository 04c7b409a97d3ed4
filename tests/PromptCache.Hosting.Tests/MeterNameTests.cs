using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using PromptCache.Engine;

namespace PromptCache.Hosting.Tests;

/// <summary>Request H5: a listener that subscribes to every PromptCache meter must not see one measurement under two meters.</summary>
public sealed class MeterNameTests
{
    [Fact]
    public async Task No_instrument_name_is_published_by_both_the_hosting_and_the_engine_meter()
    {
        using var host = TestHosts.Create(null, b => b.WarmSchemas(TestHosts.TripSource));
        var published = new ConcurrentDictionary<(string Meter, string Instrument), byte>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Name is "PromptCache" or "PromptCache.Engine") published[(instrument.Meter.Name, instrument.Name)] = 0;
        };
        listener.Start();
        await host.StartAsync();
        await TestHosts.WaitReadyAsync(host);
        _ = host.Services.GetRequiredService<IPromptCache>();

        var byName = published.Keys.GroupBy(k => k.Instrument).ToList();
        Assert.Contains(published.Keys, k => k.Meter == "PromptCache");
        Assert.Contains(published.Keys, k => k.Meter == "PromptCache.Engine");
        Assert.All(byName, g => Assert.True(g.Select(k => k.Meter).Distinct().Count() == 1,
            $"instrument '{g.Key}' is published by meters {string.Join(", ", g.Select(k => k.Meter).Distinct())}"));
        await host.StopAsync();
    }
}
