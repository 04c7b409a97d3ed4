using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using PromptCache.Generators.Tests.Infrastructure;

namespace PromptCache.Generators.Tests;

/// <summary>
/// Thousands of seeded random mutations of valid schemas (deleted, duplicated or inserted characters,
/// truncation, swapped tags) through the whole generator: it must answer with diagnostics, never with an
/// exception (which the compiler would turn into a silently missing class), and never with PCG0027.
/// </summary>
public sealed partial class RobustnessTests
{
    private const int Mutations = 2000;
    private const int Seed = 20261122;

    [Fact]
    public void Mutated_schemas_give_diagnostics_never_exceptions()
    {
        // persona.pml is mostly long prose, so it gets one turn in five; the structure-heavy schemas the rest.
        var fixtures = new[] { "travel.pml", "trip-planner.pml", "travel.pml", "trip-planner.pml", "persona.pml" }
            .Select(name => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name)))
            .ToArray();
        var handbook = GeneratorHarness.Fixture("docs/handbook.txt", "Prompts/docs/handbook.txt");
        var compilation = GeneratorHarness.CreateCompilation();
        var random = new Random(Seed);
        var withErrors = 0;
        var compiled = 0;

        for (var i = 0; i < Mutations; i++)
        {
            var mutated = Mutate(fixtures[i % fixtures.Length], random);
            var driver = GeneratorHarness.CreateDriver(new[] { GeneratorHarness.File("Prompts/m.pml", mutated), handbook }, trackSteps: false)
                .RunGenerators(compilation);
            var result = Assert.Single(driver.GetRunResult().Results);

            Assert.True(result.Exception is null, $"mutation {i} threw {result.Exception}\n{mutated}");
            Assert.All(result.Diagnostics, d => Assert.StartsWith("PCG", d.Id));
            Assert.DoesNotContain(result.Diagnostics, d => d.Id == "PCG0027");
            Assert.All(result.Diagnostics, d => Assert.Equal(LocationKind.ExternalFile, d.Location.Kind));

            if (result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
            {
                withErrors++;
            }
            else if (i % 50 == 0 && result.GeneratedSources.Length > 0)
            {
                // When the generator accepts a mutant, what it emits must compile (checked on a sample: it is slow).
                var output = compilation.AddSyntaxTrees(result.GeneratedSources.Select(g => g.SyntaxTree));
                Assert.DoesNotContain(output.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
                compiled++;
            }
        }

        // The mutations must actually break things, and some must survive: otherwise the test proves nothing.
        Assert.InRange(withErrors, Mutations / 10, Mutations - 1);
        Assert.True(compiled > 0, "no accepted mutant was compiled");
    }

    /// <summary>One to three edits of the kinds the issue names.</summary>
    private static string Mutate(string text, Random random)
    {
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits && text.Length > 0; e++)
        {
            var at = random.Next(text.Length);
            var length = Math.Min(random.Next(1, 20), text.Length - at);
            text = random.Next(6) switch
            {
                0 => text.Remove(at, length),
                1 => text.Insert(at, text.Substring(at, length)),
                2 => text.Substring(0, at),
                3 => SwapTags(text, random),
                4 => text.Insert(at, "<>&\"'/= \n"[random.Next(9)].ToString()),
                _ => text.Remove(at, 1).Insert(at, "-9_.x<"[random.Next(6)].ToString()),
            };
        }

        return text;
    }

    private static string SwapTags(string text, Random random)
    {
        var tags = Tag().Matches(text);
        if (tags.Count < 2)
        {
            return text;
        }

        var a = tags[random.Next(tags.Count)];
        var b = tags[random.Next(tags.Count)];
        if (a.Index == b.Index)
        {
            return text;
        }

        var (first, second) = a.Index < b.Index ? (a, b) : (b, a);
        return text.Substring(0, first.Index) + second.Value +
            text.Substring(first.Index + first.Length, second.Index - first.Index - first.Length) + first.Value +
            text.Substring(second.Index + second.Length);
    }

    [GeneratedRegex("<[^<>]*>")]
    private static partial Regex Tag();
}
