using PromptCache.Pml.Requests;
using PromptCache.Runtime.Inference;
using PromptCache.Tokenizers;

namespace PromptCache.Engine.Tests;

/// <summary>
/// Prefix-exact fidelity on the HF parity fixtures (tiny random Llama, Qwen2 with q/k/v bias, Qwen3
/// with q/k norm; vocabulary 128, context 256) that the runtime's tests check against transformers.
/// They ship without a tokenizer, so a 7-bit character tokenizer stands in.
/// </summary>
public sealed class HfFixtureTests
{
    private const string Schema =
        "<schema name=\"fix\"><module name=\"head\">Pick: </module>" +
        "<module name=\"slot\">size <parameter name=\"n\" length=\"4\" scaffold=\"big\"/> ok. </module><union>" +
        "<module name=\"a\">red apples</module><module name=\"b\">green pear</module></union></schema>";

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    public async Task Prefix_exact_requests_match_a_full_prefill(string fixture)
    {
        string path = Path.Combine(RepoRoot(), "tests", "PromptCache.Runtime.Tests", "Fixtures", "hf", fixture);
        var model = LlamaModel.Load(path);
        await using var engine = new PromptCacheEngine(model, new SevenBitTokenizer(), "fixture:" + fixture, "seven-bit", ownsModel: true);
        await engine.WarmAsync(new PromptSchemaSource(Schema, "fix.pml"));
        foreach (string member in new[] { "a", "b" })
        {
            // "big" padded with unk fills the slot exactly as precompute did; both members are 10 tokens (no gap).
            var request = new PromptRequest("fix", "", [new ModuleSelection("head"), new ModuleSelection(["slot"], [new PromptArgument("n", "big\0")]), new ModuleSelection(member)],
                [PromptSuffixPart.Plain(" yes")]);
            var cached = await engine.ComputeLogitsAsync(request, useCache: true);
            var full = await engine.ComputeLogitsAsync(request, useCache: false);
            Assert.True(TestSchemas.MaxAbsDiff(cached, full) <= 1e-3f, $"{fixture}/{member}: max abs diff {TestSchemas.MaxAbsDiff(cached, full)}");
        }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PromptCache.Generators.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("The repository root (with PromptCache.Generators.sln) was not found above the test binaries.");
    }

    /// <summary>One token per 7-bit character (id = code point), id 0 doubling as unk.</summary>
    private sealed class SevenBitTokenizer : Tokenizer
    {
        public SevenBitTokenizer() => UnkId = 0;

        public override int VocabularySize => 128;

        public override IReadOnlyList<int> EncodeToIds(string text, bool addSpecialTokens = false) => text.Select(c => c & 0x7F).ToList();

        public override string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false) => new(ids.Select(i => (char)i).ToArray());

        public override string? IdToToken(int id) => id is >= 0 and < 128 ? ((char)id).ToString() : null;

        public override int? TokenToId(string token) => token.Length == 1 && token[0] < 128 ? token[0] : null;

        public override bool IsSpecialToken(int id) => false;
    }
}
