using PromptCache.EndToEnd.Tests.Prompts;
using PromptCache.Pml;
using PromptCache.Pml.Layout;
using PromptCache.Tokenizers;

namespace PromptCache.EndToEnd.Tests;

/// <summary>
/// The project names Tokenizer/tokenizer.json in a PromptCacheTokenizer item, so the generated classes carry
/// token-exact constants; they must equal the runtime's binding of the same schema with the same file.
/// </summary>
public sealed class TokenLayoutTests
{
    // The ContextLength of the PromptCacheTokenizer item in the project file (this tiny tokenizer needs many tokens).
    private const int ContextLength = 16384;

    private static readonly string TokenizerPath = Path.Combine(AppContext.BaseDirectory, "Tokenizer", "tokenizer.json");

    [Fact]
    public void Build_time_constants_equal_the_runtime_binding_with_the_same_tokenizer()
    {
        var bound = BindAtRunTime(TravelPrompt.PmlSource, TravelPrompt.FileName, Tokenizer.Load(TokenizerPath));

        Assert.Null(TravelPrompt.Tokens.Layout.FindMismatch(bound, PmlContentHash.Compute(File.ReadAllText(TokenizerPath))));
        Assert.Equal(TravelPrompt.Tokens.TotalLength, bound.TotalLength);
        Assert.Equal(TravelPrompt.Tokens.TravelPlanOffset, bound.GetModule("travel-plan")!.Offset);
        Assert.Equal(TravelPrompt.Tokens.TravelPlanDomesticCityOffset, bound.GetParameter("travel-plan/domestic", "city")!.Offset);
        Assert.Equal(TravelPrompt.Tokens.TravelPlanDomesticCityLength, bound.GetParameter("travel-plan/domestic", "city")!.Length);
        Assert.Equal(TravelPrompt.Tokens.ContextLength, ContextLength);
        Assert.Equal(TravelPrompt.Tokens.TokenizerHash, PmlContentHash.Compute(File.ReadAllText(TokenizerPath)));
    }

    [Fact]
    public void A_different_tokenizer_at_run_time_fails_the_check_clearly()
    {
        // Every byte its own token: the same schema gets other offsets than the build-time tokenizer's.
        var json = File.ReadAllText(TokenizerPath);
        var bytesOnly = Tokenizer.FromHfTokenizerJson(json[..json.IndexOf("\"merges\"", StringComparison.Ordinal)] + "\"merges\": []}}");
        var bound = BindAtRunTime(TravelPrompt.PmlSource, TravelPrompt.FileName, bytesOnly);

        var error = Assert.Throws<InvalidOperationException>(() => TravelPrompt.Tokens.Layout.EnsureMatches(bound, "other-hash"));
        Assert.Contains("schema 'travel'", error.Message);
        Assert.Contains("differs from the one the project was built with", error.Message);
    }

    private static BoundLayout BindAtRunTime(string pml, string fileName, Tokenizer tokenizer)
    {
        var schema = PmlParser.ParseSchema(pml, fileName, src => TravelPrompt.SourceFiles.TryGetValue(src, out var text) ? text : null).Schema!;
        return SchemaLayout.Build(schema).Bind(new Counter(tokenizer), null, ContextLength);
    }

    private sealed class Counter(Tokenizer tokenizer) : ITokenCounter
    {
        public int CountTokens(string text) => tokenizer.EncodeToIds(text, addSpecialTokens: false).Count;
    }
}
