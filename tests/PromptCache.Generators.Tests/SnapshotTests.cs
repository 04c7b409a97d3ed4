using Microsoft.CodeAnalysis;
using PromptCache.Generators.Tests.Infrastructure;

namespace PromptCache.Generators.Tests;

/// <summary>The generated code for the fixtures, compared with the committed snapshots.</summary>
public sealed class SnapshotTests
{
    [Theory]
    [InlineData("travel.pml", "Consumer.TravelPrompt")]
    [InlineData("persona.pml", "Consumer.PersonaPrompt")]
    public void Reference_example_generates_the_expected_class(string fixture, string typeName)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.Fixture(fixture));

        Assert.Empty(run.Exceptions);
        Assert.DoesNotContain(run.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(run.CompilationProblems);
        Snapshot.Verify(run.Sources[typeName + ".g.cs"], typeName);
    }

    [Fact]
    public void Nested_modules_parameters_src_and_root_union_generate_the_expected_class()
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.Fixture("trip-planner.pml", "Prompts/trip-planner.pml"),
            GeneratorHarness.Fixture("docs/handbook.txt", "Prompts/docs/handbook.txt"));

        Assert.Empty(run.Exceptions);
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.CompilationProblems);
        Snapshot.Verify(run.Sources["Consumer.Prompts.TripPlannerPrompt.g.cs"], "Consumer.Prompts.TripPlannerPrompt");
    }

    [Fact]
    public void A_folder_named_like_a_keyword_gives_an_escaped_namespace_that_compiles()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File("class/2024/travel.pml", "<schema name=\"travel\"><module name=\"a\">x</module></schema>"));

        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.CompilationProblems);
        Assert.Contains("namespace Consumer.@class._2024", run.Sources["Consumer.class._2024.TravelPrompt.g.cs"]);
    }

    [Fact]
    public void Support_file_lists_every_schema_in_the_registry()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.Fixture("travel.pml"), GeneratorHarness.Fixture("persona.pml"));

        Assert.Empty(run.CompilationProblems);
        Snapshot.Verify(run.Sources["PromptCache.Generated.g.cs"], "PromptCache.Generated");
    }
}
