using PromptCache.EndToEnd.Tests.Prompts;
using PromptCache.Pml;
using PromptCache.Pml.Requests;

namespace PromptCache.EndToEnd.Tests;

/// <summary>Our own schema: parameters with scaffolds, nested unions, optional nested modules, cache="false", src, a root union.</summary>
public sealed class TripPlannerPromptTests
{
    [Fact]
    public void Nested_modules_parameters_and_choices_become_one_request_in_document_order()
    {
        // Selected out of document order on purpose: the request lists parents before children, schema order.
        var request = TripPlannerPrompt.Create()
            .Choose(tone => tone.Casual())
            .Today(date: "22 Nov")
            .Trip(
                duration: "10 days",
                partySize: "4",
                trip => trip.RoadTrip(road => road.Coast()),
                modules => modules.Extras(budget: "2000 EUR", extras => extras.Insurance()))
            .Handbook()
            .User("Where do we start?");

        Assert.Equal(
            new[] { "trip", "trip/road-trip", "trip/road-trip/coast", "trip/extras", "trip/extras/insurance", "today", "handbook", "casual" },
            request.Modules.Select(m => m.PathString));
        Assert.Equal("10 days", request.Find("trip")!.GetArgument("duration"));
        Assert.Equal("4", request.Find("trip")!.GetArgument("party-size"));
        Assert.Equal("2000 EUR", request.Find("trip/extras")!.GetArgument("budget"));
        Assert.Equal("22 Nov", request.Find("today")!.GetArgument("date"));
        Assert.Empty(PromptRequestValidator.Validate(request, ParseEmbedded()));
    }

    [Fact]
    public void Optional_nested_modules_can_be_left_out()
    {
        var request = TripPlannerPrompt.Create().Trip("5 days", "2", trip => trip.CityBreak(city: "Lisbon")).Build();

        Assert.Equal(new[] { "trip", "trip/city-break" }, request.Modules.Select(m => m.PathString));
        Assert.Empty(request.Suffix);
    }

    [Fact]
    public void Src_file_is_embedded_and_hashed_like_the_runtime_does()
    {
        Assert.Contains("carry your passport", TripPlannerPrompt.SourceFiles["docs/handbook.txt"]);
        Assert.Equal(TripPlannerPrompt.ContentHash, ParseEmbedded().ContentHash);

        var handbook = TripPlannerPrompt.Layout.Elements.Single(e => e.Text?.Contains("carry your passport") == true);
        Assert.Equal(new[] { "handbook" }, handbook.ModulePath);
    }

    [Fact]
    public void Layout_knows_cacheability_and_slots()
    {
        var modules = TripPlannerPrompt.Layout.Modules.ToDictionary(m => m.ModulePathString);

        Assert.False(modules["today"].IsCacheable);
        Assert.True(modules["trip"].IsCacheable);
        Assert.True(modules["trip/road-trip/coast"].IsUnionMember);
        var slots = TripPlannerPrompt.Layout.Parameters.ToDictionary(p => p.Name!);
        Assert.Equal(5, slots["duration"].ParameterLength);
        Assert.Equal("a week", slots["duration"].Scaffold);
    }

    private static Pml.Syntax.PmlSchema ParseEmbedded()
    {
        var parsed = PmlParser.ParseSchema(TripPlannerPrompt.PmlSource, TripPlannerPrompt.FileName, path => TripPlannerPrompt.SourceFiles.TryGetValue(path, out var text) ? text : null);
        Assert.False(parsed.HasErrors, string.Join("\n", parsed.Diagnostics));
        return parsed.Schema!;
    }
}
