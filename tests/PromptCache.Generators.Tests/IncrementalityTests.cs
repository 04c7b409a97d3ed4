extern alias generator;

using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using PromptCache.Generators.Tests.Infrastructure;
using TrackingNames = generator::PromptCache.Generators.PromptSchemaGenerator.TrackingNames;

namespace PromptCache.Generators.Tests;

/// <summary>
/// The generator must do no work when nothing it reads changed, and only one file's work when one .pml
/// changed; and its cached values must not keep a Compilation or symbols alive.
/// </summary>
public sealed class IncrementalityTests
{
    private static readonly string[] AllSteps =
    {
        TrackingNames.SchemaFiles, TrackingNames.SourceFiles, TrackingNames.Results, TrackingNames.Models,
        TrackingNames.Collisions, TrackingNames.Registry, TrackingNames.CatalogRegistration,
    };

    [Fact]
    public void Second_run_after_an_unrelated_csharp_edit_is_fully_cached()
    {
        var first = GeneratorHarness.Run(
            GeneratorHarness.CreateDriver(new[] { GeneratorHarness.Fixture("travel.pml"), GeneratorHarness.Fixture("persona.pml") }),
            GeneratorHarness.CreateCompilation("class A { }"));

        // A C# edit gives a new Compilation; nothing the generator reads has changed.
        var second = GeneratorHarness.Run(first.Driver, GeneratorHarness.CreateCompilation("class A { int x; }"));

        var result = Assert.Single(second.Result.Results);
        foreach (var step in AllSteps)
        {
            var outputs = result.TrackedSteps[step].SelectMany(s => s.Outputs).ToList();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.True(
                o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                $"step {step} reran: {o.Reason}"));
        }

        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => Assert.True(
            o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"an output reran: {o.Reason}"));
    }

    [Fact]
    public void Editing_one_pml_regenerates_only_that_schema()
    {
        var travel = GeneratorHarness.Fixture("travel.pml");
        var persona = GeneratorHarness.Fixture("persona.pml");
        var trip = GeneratorHarness.Fixture("trip-planner.pml");
        var handbook = GeneratorHarness.Fixture("docs/handbook.txt");
        var first = GeneratorHarness.Run(GeneratorHarness.CreateDriver(new[] { travel, persona, trip, handbook }), GeneratorHarness.CreateCompilation());

        var editedTravel = GeneratorHarness.File("travel.pml", travel.GetText()!.ToString().Replace("travel planner", "trip planner"));
        var second = GeneratorHarness.Run(first.Driver.ReplaceAdditionalText(travel, editedTravel), GeneratorHarness.CreateCompilation());

        var result = Assert.Single(second.Result.Results);
        var models = result.TrackedSteps[TrackingNames.Models].SelectMany(s => s.Outputs).ToList();
        Assert.Equal(3, models.Count);
        Assert.Single(models, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Equal(2, models.Count(o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));

        // The class set did not change, so the registry and the collision check do not rerun their outputs.
        foreach (var step in new[] { TrackingNames.Registry, TrackingNames.Collisions })
        {
            Assert.All(result.TrackedSteps[step].SelectMany(s => s.Outputs), o => Assert.True(
                o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"step {step}: {o.Reason}"));
        }

        // Of the per-schema source outputs, only the edited one ran.
        var emitted = result.TrackedOutputSteps["SourceOutput"].SelectMany(s => s.Outputs).ToList();
        Assert.Single(emitted, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Equal(first.Sources["Consumer.PersonaPrompt.g.cs"], second.Sources["Consumer.PersonaPrompt.g.cs"]);
        Assert.NotEqual(first.Sources["Consumer.TravelPrompt.g.cs"], second.Sources["Consumer.TravelPrompt.g.cs"]);
    }

    [Fact]
    public void No_step_output_holds_a_compilation_symbol_or_syntax_node()
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.CreateDriver(new[]
            {
                GeneratorHarness.Fixture("travel.pml"), GeneratorHarness.Fixture("trip-planner.pml"), GeneratorHarness.Fixture("docs/handbook.txt"),
            }),
            GeneratorHarness.CreateCompilation("class A { }"));

        var result = Assert.Single(run.Result.Results);
        // Roslyn's own input steps (the "Compilation" node itself) hold the compilation by design; ours must not.
        var values = result.TrackedSteps.Where(step => step.Key != WellKnownGeneratorInputs.Compilation).Select(step => step.Value)
            .Concat(result.TrackedOutputSteps.Values)
            .SelectMany(steps => steps).SelectMany(s => s.Outputs).Select(o => o.Value).ToList();
        Assert.NotEmpty(values);

        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var value in values)
        {
            AssertHoldsNoCompilerObjects(value, "output", visited);
        }

        // The walk really went into the models (schemas, layouts, diagnostics), not just the top-level values.
        Assert.True(visited.Count > 200, $"only {visited.Count} objects visited");
    }

    private static void AssertHoldsNoCompilerObjects(object? value, string path, HashSet<object> visited)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
        {
            return;
        }

        Assert.False(value is Compilation or ISymbol or SyntaxNode or SyntaxTree or SemanticModel,
            $"{path} holds a {value.GetType().Name}, which pins a whole compilation in the generator cache");
        if (!value.GetType().IsValueType && !visited.Add(value))
        {
            return;
        }

        // A default ImmutableArray throws when enumerated; it holds nothing.
        if (value is IEnumerable sequence && value.GetType().GetProperty("IsDefault")?.GetValue(value) is not true)
        {
            var i = 0;
            foreach (var item in sequence)
            {
                AssertHoldsNoCompilerObjects(item, $"{path}[{i++}]", visited);
            }
        }

        for (var type = value.GetType(); type is not null && type != typeof(object); type = type.BaseType)
        {
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                AssertHoldsNoCompilerObjects(field.GetValue(value), path + "." + field.Name, visited);
            }
        }
    }
}
