using PromptCache.EndToEnd.Tests.Prompts;
using PromptCache.Pml;
using PromptCache.Pml.Layout;
using PromptCache.Pml.Requests;
using PromptCache.Pml.Syntax;

namespace PromptCache.EndToEnd.Tests;

/// <summary>The reference travel schema, compiled by the generator in this project's build.</summary>
public sealed class TravelPromptTests
{
    [Fact]
    public void Domestic_trip_builds_the_request_with_its_arguments_and_suffix()
    {
        var request = TravelPrompt.Create()
            .TravelPlan(duration: "5 days", plan => plan.Domestic(city: "Paris"))
            .User("Plan my trip.");

        Assert.Equal("travel", request.SchemaName);
        Assert.Equal(TravelPrompt.ContentHash, request.SchemaHash);
        Assert.Equal(new[] { "travel-plan", "travel-plan/domestic" }, request.Modules.Select(m => m.PathString));
        Assert.Equal("5 days", request.Find("travel-plan")!.GetArgument("duration"));
        Assert.Equal("Paris", request.Find("travel-plan/domestic")!.GetArgument("city"));
        var suffix = Assert.Single(request.Suffix);
        Assert.Equal(PmlRoleKind.User, suffix.Role);
        Assert.Equal("Plan my trip.", suffix.Text);
    }

    [Fact]
    public void Nested_union_selects_the_whole_path()
    {
        var request = TravelPrompt.Create()
            .TravelPlan("3 days", plan => plan.Overseas(overseas => overseas.Tokyo()))
            .User("What should I pack?");

        Assert.Equal(
            new[] { "travel-plan", "travel-plan/overseas", "travel-plan/overseas/tokyo" },
            request.Modules.Select(m => m.PathString));
    }

    [Fact]
    public void Request_is_valid_against_the_embedded_schema_and_round_trips_through_pml()
    {
        var schema = ParseEmbedded();
        var request = TravelPrompt.Create()
            .TravelPlan("a week", plan => plan.Overseas(o => o.Rome()))
            .User("Plan it.");

        Assert.Empty(PromptRequestValidator.Validate(request, schema));

        var reparsed = PmlParser.ParsePrompt(request.ToPml(), "request.pml", schema);
        Assert.False(reparsed.HasErrors, string.Join("\n", reparsed.Diagnostics));
        Assert.Equal(request, reparsed.Request);
    }

    [Fact]
    public void Embedded_source_hash_and_layout_match_what_the_runtime_parser_computes()
    {
        var schema = ParseEmbedded();

        Assert.Equal(TravelPrompt.ContentHash, schema.ContentHash);
        Assert.Equal(SchemaLayout.Build(schema), TravelPrompt.Layout);
        Assert.Equal(
            new[] { "travel-plan", "travel-plan/domestic" },
            TravelPrompt.Layout.DefaultPath);
        Assert.Equal(new[] { "duration", "city" }, TravelPrompt.Layout.Parameters.Select(p => p.Name));
    }

    [Fact]
    public void Selecting_a_module_twice_or_passing_null_fails_with_a_clear_error()
    {
        var once = TravelPrompt.Create().TravelPlan("5 days", plan => plan.Domestic("Paris"));

        var twice = Assert.Throws<InvalidOperationException>(() => once.TravelPlan("6 days", plan => plan.Domestic("Rome")));
        Assert.Contains("'travel-plan' is already selected", twice.Message);
        Assert.Equal("duration", Assert.Throws<ArgumentNullException>(() => TravelPrompt.Create().TravelPlan(null!, p => p.Domestic("x"))).ParamName);
        Assert.Equal("choice", Assert.Throws<ArgumentException>(() => TravelPrompt.Create().TravelPlan("x", _ => null!)).ParamName);
    }

    [Fact]
    public void Builders_are_immutable()
    {
        var empty = TravelPrompt.Create();
        var planned = empty.TravelPlan("5 days", plan => plan.Domestic("Paris"));

        Assert.Empty(empty.Build().Modules);
        Assert.Equal(2, planned.Build().Modules.Count);
    }

    private static PmlSchema ParseEmbedded()
    {
        var parsed = PmlParser.ParseSchema(TravelPrompt.PmlSource, TravelPrompt.FileName, path => TravelPrompt.SourceFiles.TryGetValue(path, out var text) ? text : null);
        Assert.False(parsed.HasErrors, string.Join("\n", parsed.Diagnostics));
        return parsed.Schema!;
    }
}
