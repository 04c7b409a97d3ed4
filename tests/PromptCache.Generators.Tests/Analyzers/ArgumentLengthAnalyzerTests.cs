extern alias analyzers;

using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using PromptCache.Generators.Tests.Infrastructure;
using PromptCache.Generators.Tests.Tokens;
using ArgumentLengthAnalyzer = analyzers::PromptCache.Analyzers.CallSites.ArgumentLengthAnalyzer;

namespace PromptCache.Generators.Tests.Analyzers;

/// <summary>PCG0036 at the call site: a constant argument longer than its slot, in the project's tokenizer's tokens.</summary>
public sealed class ArgumentLengthAnalyzerTests
{
    private const string TokenizerPath = GeneratorHarness.ProjectDir + "models/tokenizer.json";

    private const string Calls = """
        class Calls
        {
            object Fits() => Consumer.TravelPrompt.Create().TravelPlan("week", plan => plan.Domestic("Paris")).User("Go.");

            object TooLong() => Consumer.TravelPrompt.Create()
                .TravelPlan(duration: "five long and very lazy summer days", plan => plan.Domestic("Paris")).User("Go.");

            object NotConstant(string d) => Consumer.TravelPrompt.Create().TravelPlan(d + " and a very long text after it, far too long", plan => plan.Domestic("Paris")).User("Go.");
        }
        """;

    [Fact]
    public async Task A_constant_argument_longer_than_its_slot_is_reported_at_the_argument()
    {
        var diagnostics = await AnalyzeAsync(withTokenizer: true);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("PCG0036", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        var span = diagnostic.Location.GetLineSpan().StartLinePosition;
        Assert.Equal((6, 31), (span.Line + 1, span.Character + 1));
        Assert.StartsWith("Argument for parameter 'duration' of module 'travel-plan' is ", diagnostic.GetMessage());
        Assert.EndsWith("tokens, longer than its slot of 5", diagnostic.GetMessage());
    }

    [Fact]
    public async Task Without_a_tokenizer_nothing_is_checked()
    {
        Assert.Empty(await AnalyzeAsync(withTokenizer: false));
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(bool withTokenizer)
    {
        var files = new List<AdditionalText> { GeneratorHarness.Fixture("travel.pml") };
        var metadata = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        if (withTokenizer)
        {
            files.Add(new InMemoryAdditionalText(TokenizerPath, TestTokenizerJson.Create()));
            metadata[TokenizerPath] = new Dictionary<string, string> { ["build_metadata.AdditionalFiles.PromptCacheKind"] = "Tokenizer" };
        }

        var options = new TestOptionsProvider(new Dictionary<string, string>
        {
            ["build_property.RootNamespace"] = GeneratorHarness.RootNamespace,
            ["build_property.ProjectDir"] = GeneratorHarness.ProjectDir,
        }, metadata);
        var run = GeneratorHarness.Run(GeneratorHarness.CreateDriver(files, metadata), GeneratorHarness.CreateCompilation(Calls));
        Assert.Empty(run.CompilationProblems);

        var analyzed = run.Output.WithAnalyzers(
            ImmutableArray.Create<DiagnosticAnalyzer>(new ArgumentLengthAnalyzer()),
            new AnalyzerOptions(files.ToImmutableArray(), options));
        return await analyzed.GetAnalyzerDiagnosticsAsync();
    }
}
