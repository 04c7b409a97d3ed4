using PromptCache.Engine.Execution;
using PromptCache.Runtime.Generation;

namespace PromptCache.Engine.Tests;

public sealed class RehearsalTests
{
    [Fact]
    public async Task The_rehearsal_request_takes_the_default_path_with_scaffold_arguments()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var request = RehearsalRequest.For(engine.GetSchema("trip"));

        // Modules inside the <user> role, the union's scaffold member (beach, not city), the uncached module.
        Assert.Equal(["intro", "plan", "plan/beach", "live"], request.Modules.Select(m => m.PathString));
        var days = Assert.Single(request.Modules[0].Arguments);
        Assert.Equal(("days", "a week"), (days.ParameterName, days.Value));
        Assert.Equal(RehearsalRequest.Suffix, Assert.Single(request.Suffix).Text);
        Assert.Null(RequestPlanner.Validate(engine.GetSchema("trip"), request, engine.Tokenizer, truncateArguments: false));
    }

    [Fact]
    public async Task The_first_member_stands_for_a_union_without_a_scaffold()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Pick, "pick"));
        var request = RehearsalRequest.For(engine.GetSchema("pick"));

        Assert.Equal(["head", "a"], request.Modules.Select(m => m.PathString));
        Assert.Null(RequestPlanner.Validate(engine.GetSchema("pick"), request, engine.Tokenizer, truncateArguments: false));
    }

    [Fact]
    public async Task A_parameter_without_a_scaffold_gets_one_character()
    {
        const string pml = "<schema name=\"ask\"><module name=\"m\">Tell me about <parameter name=\"topic\" length=\"4\"/> today.</module></schema>";
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(pml, "ask"));
        var request = RehearsalRequest.For(engine.GetSchema("ask"));

        var topic = Assert.Single(Assert.Single(request.Modules).Arguments);
        Assert.Equal(("topic", "x"), (topic.ParameterName, topic.Value));
        await engine.RehearseAsync("ask", 1);
    }

    [Fact]
    public async Task Rehearsal_runs_whole_calls_that_the_request_metrics_do_not_count()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var before = engine.GetCounters();

        await engine.RehearseAsync("trip", 3);

        var after = engine.GetCounters();
        Assert.Equal(before.CachedRequests, after.CachedRequests);
        Assert.Equal(before.PrefillTokens, after.PrefillTokens);
        Assert.Equal(before.SegmentsComputed, after.SegmentsComputed);
        // A real call afterwards is counted, and gives what it gives on an engine that never rehearsed.
        await using var fresh = TestSchemas.TinyEngine();
        await fresh.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var request = RehearsalRequest.For(engine.GetSchema("trip"));
        var options = new GenerationOptions { MaxTokens = 4, Temperature = 0, IgnoreEos = true };
        var rehearsed = await engine.RunAsync(request, options);
        var plain = await fresh.RunAsync(request, options);
        Assert.Equal(plain.TokenIds, rehearsed.TokenIds);
        Assert.Equal(before.CachedRequests + 1, engine.GetCounters().CachedRequests);
    }

    [Fact]
    public async Task Rehearsing_an_unknown_schema_names_the_warmed_ones()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Pick, "pick"));
        var e = await Assert.ThrowsAsync<PromptCacheException>(() => engine.RehearseAsync("trip", 1));
        Assert.Contains("'trip' is not warmed", e.Message);
        Assert.Contains("pick", e.Message);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.RehearseAsync("pick", -1));
    }
}
