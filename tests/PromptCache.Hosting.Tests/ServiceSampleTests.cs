using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using PromptCache.Engine.Synthetic;

namespace PromptCache.Hosting.Tests;

/// <summary>Runs samples/Service in memory on the tiny synthetic model and calls its endpoints.</summary>
public sealed class ServiceSampleTests
{
    [Fact]
    public async Task The_sample_warms_turns_ready_and_serves_typed_endpoints()
    {
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
            web.ConfigureServices(services => services.Configure<PromptCacheOptions>(TestHosts.Tiny)));
        using var client = factory.CreateClient();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        HttpResponseMessage ready;
        while ((ready = await client.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "the sample did not turn ready: " + await ready.Content.ReadAsStringAsync());
            await Task.Delay(100);
        }
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());

        var plan = await client.GetAsync("/plan?city=Lisbon&days=4%20days");
        Assert.Equal(HttpStatusCode.OK, plan.StatusCode);
        Assert.Equal("text/plain", plan.Content.Headers.ContentType?.MediaType);
        Assert.Contains("meaningless", plan.Headers.GetValues("X-PromptCache-Note").Single());

        using var pack = JsonDocument.Parse(await client.GetStringAsync("/pack?destination=mountains&budget=low"));
        Assert.True(pack.RootElement.GetProperty("cachedTokens").GetInt32() > 0);
        Assert.True(pack.RootElement.GetProperty("ttftMs").GetDouble() > 0);
        Assert.Equal(48, pack.RootElement.GetProperty("generatedTokens").GetInt32());

        var tooLong = await client.GetAsync("/plan?city=" + new string('x', 40));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("parameter 'city'", await tooLong.Content.ReadAsStringAsync());

        var chat = await client.PostAsync("/chat", new StringContent("""{"message":"Hello!","maxTokens":4}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        using var answer = JsonDocument.Parse(await chat.Content.ReadAsStringAsync());
        Assert.Equal(4, answer.RootElement.GetProperty("outputTokens").GetInt32());

        var engine = await factory.Services.GetRequiredService<HostedPromptCache>().GetEngineAsync();
        Assert.Equal(SyntheticShape.Tiny.HiddenSize, engine.Model.Config.HiddenSize);
    }
}
