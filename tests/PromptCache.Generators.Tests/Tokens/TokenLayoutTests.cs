extern alias generator;

using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using PromptCache.Generators.Tests.Infrastructure;
using PromptCache.Pml;
using PromptCache.Pml.Layout;
using PromptCache.Tokenizers;

namespace PromptCache.Generators.Tests.Tokens;

/// <summary>
/// Token-exact layouts at build time: a project that names a tokenizer gets constants equal to what the runtime
/// computes with the same tokenizer, and the token-count diagnostics at their .pml locations.
/// </summary>
public sealed partial class TokenLayoutTests
{
    private const string TokenizerPath = GeneratorHarness.ProjectDir + "models/tokenizer.json";

    [Fact]
    public void Generated_token_constants_equal_the_runtime_binding_of_the_same_tokenizer()
    {
        var json = TestTokenizerJson.Create();
        var travel = GeneratorHarness.Fixture("travel.pml");
        var run = RunWithTokenizer(json, contextLength: "4096", travel);

        Assert.Empty(run.Exceptions);
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.CompilationProblems);
        var code = run.Sources["Consumer.TravelPrompt.g.cs"];

        // The runtime's binding: the runtime tokenizer library, the runtime parser, SchemaLayout.Bind.
        var tokenizer = Tokenizer.FromHfTokenizerJson(json);
        var schema = PmlParser.ParseSchema(travel.GetText()!.ToString().Replace("\r\n", "\n"), travel.Path).Schema!;
        var bound = SchemaLayout.Build(schema).Bind(new Counter(tokenizer), null, 4096);

        var constants = Constants(code);
        Assert.Equal(bound.TotalLength, constants["TotalLength"]);
        Assert.Equal(4096, constants["ContextLength"]);
        Assert.Equal(bound.GetModule("travel-plan")!.Offset, constants["TravelPlanOffset"]);
        Assert.Equal(bound.GetModule("travel-plan")!.Length, constants["TravelPlanLength"]);
        Assert.Equal(bound.GetModule("travel-plan/domestic")!.Offset, constants["TravelPlanDomesticOffset"]);
        Assert.Equal(bound.GetModule("travel-plan/overseas")!.Offset, constants["TravelPlanOverseasOffset"]);
        Assert.Equal(bound.GetParameter("travel-plan", "duration")!.Offset, constants["TravelPlanDurationOffset"]);
        Assert.Equal(5, constants["TravelPlanDurationLength"]);
        Assert.Equal(bound.GetParameter("travel-plan/domestic", "city")!.Offset, constants["TravelPlanDomesticCityOffset"]);
        Assert.True(constants["TravelPlanDomesticCityOffset"] > constants["TravelPlanDurationOffset"] + 5, "the slot offsets must count the text's tokens");

        // The table the runtime check uses: every element's offset and length, in layout order.
        Assert.Contains("new int[] { " + string.Join(", ", bound.Elements.Select(e => e.Offset)) + " },", code);
        Assert.Contains("new int[] { " + string.Join(", ", bound.Elements.Select(e => e.Length)) + " });", code);
        Assert.Contains("public const string TokenizerHash = \"" + PmlContentHash.Compute(json) + "\";", code);
    }

    [Fact]
    public void Without_a_tokenizer_the_class_has_no_token_constants()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.Fixture("travel.pml"));

        Assert.DoesNotContain("class Tokens", run.Sources["Consumer.TravelPrompt.g.cs"]);
    }

    [Fact]
    public void PCG0024_scaffold_longer_than_its_slot_at_the_parameter()
    {
        var pml = "<schema name=\"s\">\n  <module name=\"a\">Go to <parameter name=\"city\" length=\"2\" scaffold=\"the other side of the moon\"/></module>\n</schema>";
        var run = RunWithTokenizer(TestTokenizerJson.Create(), null, GeneratorHarness.File("Prompts/s.pml", pml));

        var diagnostic = Assert.Single(run.Diagnostics);
        AssertAt(diagnostic, "PCG0024", GeneratorHarness.ProjectDir + "Prompts/s.pml", 2, 26);
    }

    [Fact]
    public void PCG0025_schema_longer_than_the_context_length_at_the_schema()
    {
        var pml = "<schema name=\"s\">\n  <module name=\"a\">a fairly long text that takes more than eight tokens</module>\n</schema>";
        var run = RunWithTokenizer(TestTokenizerJson.Create(), "8", GeneratorHarness.File("Prompts/s.pml", pml));

        var diagnostic = Assert.Single(run.Diagnostics);
        AssertAt(diagnostic, "PCG0025", GeneratorHarness.ProjectDir + "Prompts/s.pml", 1, 1);
    }

    [Fact]
    public void A_broken_tokenizer_is_reported_at_the_tokenizer_file_and_schemas_stay_structural()
    {
        var run = RunWithTokenizer("{\"model\": {\"type\": \"WordPiece\"}}", null, GeneratorHarness.Fixture("travel.pml"));

        Assert.Empty(run.Exceptions);
        var diagnostic = Assert.Single(run.Diagnostics);
        AssertAt(diagnostic, "PCG0027", TokenizerPath, 1, 1);
        Assert.DoesNotContain("class Tokens", run.Sources["Consumer.TravelPrompt.g.cs"]);
    }

    [Fact]
    public void Editing_a_schema_does_not_reload_the_tokenizer()
    {
        var travel = GeneratorHarness.Fixture("travel.pml");
        var first = RunWithTokenizer(TestTokenizerJson.Create(), "4096", travel);
        var edited = GeneratorHarness.File("travel.pml", travel.GetText()!.ToString().Replace("travel planner", "trip planner"));

        var second = GeneratorHarness.Run(first.Driver.ReplaceAdditionalText(travel, edited), GeneratorHarness.CreateCompilation());

        var steps = Assert.Single(second.Result.Results).TrackedSteps[generator::PromptCache.Generators.PromptSchemaGenerator.TrackingNames.Tokenizer];
        Assert.All(steps.SelectMany(s => s.Outputs), o => Assert.True(
            o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"the tokenizer step reran: {o.Reason}"));
        Assert.NotEqual(first.Sources["Consumer.TravelPrompt.g.cs"], second.Sources["Consumer.TravelPrompt.g.cs"]);
    }

    [SharedFact]
    public void Qwen3_tokenizer_with_its_chat_template_binds_every_fixture_once_per_build()
    {
        var folder = Path.Combine(SharedFolder.Path!, "tokenizers", "qwen3");
        var json = File.ReadAllText(Path.Combine(folder, "tokenizer.json"));
        var config = File.ReadAllText(Path.Combine(folder, "tokenizer_config.json"));
        const string ConfigPath = GeneratorHarness.ProjectDir + "models/tokenizer_config.json";
        var files = new AdditionalText[]
        {
            GeneratorHarness.Fixture("travel.pml"), GeneratorHarness.Fixture("persona.pml"),
            new InMemoryAdditionalText(TokenizerPath, json), new InMemoryAdditionalText(ConfigPath, config),
        };
        var metadata = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            [TokenizerPath] = new Dictionary<string, string> { ["build_metadata.AdditionalFiles.PromptCacheKind"] = "Tokenizer", ["build_metadata.AdditionalFiles.ContextLength"] = "40960" },
            [ConfigPath] = new Dictionary<string, string> { ["build_metadata.AdditionalFiles.PromptCacheKind"] = "TokenizerConfig" },
        };

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var run = GeneratorHarness.Run(GeneratorHarness.CreateDriver(files, metadata), GeneratorHarness.CreateCompilation());
        var elapsed = watch.Elapsed;

        Assert.Empty(run.Exceptions);
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.CompilationProblems);
        var constants = Constants(run.Sources["Consumer.TravelPrompt.g.cs"]);

        // ChatML markers (<|im_start|>system\n ... <|im_end|>\n) take positions before the first module.
        Assert.True(constants["TravelPlanOffset"] > 0);
        Assert.True(elapsed < TimeSpan.FromSeconds(30), $"first run with the 11 MB Qwen3 vocabulary took {elapsed}");
        Console.WriteLine($"Qwen3 generator run (load + bind 2 schemas): {elapsed.TotalMilliseconds:F0} ms");
    }

    private static GeneratorRun RunWithTokenizer(string json, string? contextLength, params AdditionalText[] schemas)
    {
        var tokenizerFile = new InMemoryAdditionalText(TokenizerPath, json);
        var item = new Dictionary<string, string> { ["build_metadata.AdditionalFiles.PromptCacheKind"] = "Tokenizer" };
        if (contextLength is not null)
        {
            item["build_metadata.AdditionalFiles.ContextLength"] = contextLength;
        }

        var metadata = new Dictionary<string, IReadOnlyDictionary<string, string>> { [TokenizerPath] = item };
        return GeneratorHarness.Run(GeneratorHarness.CreateDriver(schemas.Append(tokenizerFile), metadata), GeneratorHarness.CreateCompilation());
    }

    private static Dictionary<string, int> Constants(string code) =>
        ConstantPattern().Matches(code).ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));

    private static void AssertAt(Diagnostic diagnostic, string id, string path, int line, int column)
    {
        var span = diagnostic.Location.GetLineSpan();
        Assert.Equal((id, path, line, column), (diagnostic.Id, span.Path, span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1));
    }

    [GeneratedRegex(@"public const int (\w+) = (-?\d+);")]
    private static partial Regex ConstantPattern();

    private sealed class Counter(Tokenizer tokenizer) : ITokenCounter
    {
        public int CountTokens(string text) => tokenizer.EncodeToIds(text, addSpecialTokens: false).Count;
    }
}
