using PromptCache.Pml.Requests;
using PromptCache.Pml.Syntax;
using PromptCache.Pml.Tests.Support;

namespace PromptCache.Pml.Tests;

/// <summary>The prompt side: &lt;prompt&gt; documents, the request model and its validation.</summary>
public class PromptTests
{
    private static PmlSchema Travel => Tree.ParseValid(Fixtures.Read("travel.pml"), "travel.pml");

    [Fact]
    public void A_prompt_becomes_a_request_with_paths_arguments_and_suffix()
    {
        const string prompt = """
            <prompt schema="travel">
              <travel-plan duration="3 days">
                <overseas>
                  <tokyo/>
                </overseas>
              </travel-plan>
              Some notes first.
              <user>What should I pack?</user>
            </prompt>
            """;
        var result = PmlParser.ParsePrompt(prompt, "req.pml", Travel);

        Assert.Empty(result.Diagnostics);
        var request = result.Request!;
        Assert.Equal("travel", request.SchemaName);
        Assert.Equal(Travel.ContentHash, request.SchemaHash);
        Assert.Equal(new[] { "travel-plan", "travel-plan/overseas", "travel-plan/overseas/tokyo" }, request.Modules.Select(m => m.PathString));
        Assert.Equal("3 days", request.Find("travel-plan")!.GetArgument("duration"));
        Assert.Collection(request.Suffix,
            p => Assert.Equal((null, " Some notes first. "), (p.Role, p.Text)),
            p => Assert.Equal((PmlRoleKind.User, "What should I pack?"), (p.Role, p.Text)));
    }

    [Fact]
    public void A_text_only_prompt_is_all_suffix()
    {
        var result = PmlParser.ParsePrompt("<prompt schema=\"travel\">Just a question?</prompt>", "q.pml");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.Request!.Modules);
        Assert.Equal("Just a question?", Assert.Single(result.Request.Suffix).Text);
    }

    [Fact]
    public void ToPml_round_trips_through_the_parser()
    {
        var request = new PromptRequest(
            "travel", Travel.ContentHash,
            new[]
            {
                new ModuleSelection(new[] { "travel-plan" }, new[] { new PromptArgument("duration", "a \"long\" week & more <3") }),
                new ModuleSelection("travel-plan", "domestic"),
            },
            new[] { PromptSuffixPart.Plain("Note: x < y"), PromptSuffixPart.User("Plan it.") });

        string pml = request.ToPml();
        var parsed = PmlParser.ParsePrompt(pml, "round.pml", Travel);

        Assert.Empty(parsed.Diagnostics);
        Assert.Equal(request.Modules, parsed.Request!.Modules);
        Assert.Equal(request.Suffix.Select(s => (s.Role, s.Text.Trim())), parsed.Request.Suffix.Select(s => (s.Role, s.Text.Trim())));
        Assert.Equal(request.SchemaHash, parsed.Request.SchemaHash);
    }

    [Fact]
    public void Requests_compare_by_value()
    {
        PromptRequest Make() => new("s", "h", new[] { new ModuleSelection(new[] { "a" }, new[] { new PromptArgument("p", "v") }) }, new[] { PromptSuffixPart.User("u") });
        Assert.Equal(Make(), Make());
        Assert.Equal(Make().GetHashCode(), Make().GetHashCode());
        Assert.NotEqual(Make(), new PromptRequest("s", "h", Make().Modules, EquatableArray<PromptSuffixPart>.Empty));
    }

    [Fact]
    public void Validation_of_a_code_built_request_lists_the_valid_choices()
    {
        var request = new PromptRequest("travel", "",
            new[]
            {
                new ModuleSelection(new[] { "travel-plan" }, new[] { new PromptArgument("days", "3") }),
                new ModuleSelection("travel-plan", "overseas", "paris"),
            },
            Array.Empty<PromptSuffixPart>());

        var diagnostics = PromptRequestValidator.Validate(request, Travel);

        Assert.Collection(diagnostics,
            d => Assert.Equal("Module 'travel-plan' has no parameter 'days'; valid parameters: duration", d.Message),
            d => Assert.Equal("Unknown module 'paris' in module 'travel-plan/overseas'; valid choices: maldives, amazon, sahara, tokyo, rome, capetown, sydney, buenosaires", d.Message));
        Assert.All(diagnostics, d => Assert.True(d.Location.IsNone));
    }

    [Fact]
    public void Unknown_top_level_module_names_the_schema_choices()
    {
        var result = PmlParser.ParsePrompt("<prompt schema=\"travel\"><vacation/></prompt>", "r.pml", Travel);
        var d = Assert.Single(result.Diagnostics);
        Assert.Equal("Unknown module 'vacation' in schema 'travel'; valid choices: travel-plan", d.Message);
    }

    [Fact]
    public void Union_member_selected_twice_through_separate_paths_conflicts()
    {
        var request = new PromptRequest("travel", "",
            new[] { new ModuleSelection("travel-plan", "domestic"), new ModuleSelection("travel-plan", "overseas") },
            Array.Empty<PromptSuffixPart>());
        Assert.Equal("PCG0035", Assert.Single(PromptRequestValidator.Validate(request, Travel)).Id);
    }

    [Fact]
    public void Parsing_a_prompt_without_a_schema_checks_only_syntax()
    {
        var result = PmlParser.ParsePrompt("<prompt schema=\"whatever\"><a x=\"1\"><b/></a>tail</prompt>", "p.pml");
        Assert.Empty(result.Diagnostics);
        Assert.Equal(new[] { "a", "a/b" }, result.Request!.Modules.Select(m => m.PathString));
        Assert.Equal("", result.Request.SchemaHash);
    }
}
