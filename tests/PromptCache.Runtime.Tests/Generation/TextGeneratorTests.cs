using PromptCache.Runtime.Generation;
using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Tests.Inference;
using PromptCache.Tokenizers;

namespace PromptCache.Runtime.Tests.Generation;

/// <summary>Generation on the real stories260K model, with its GGUF-embedded tokenizer.</summary>
public sealed class TextGeneratorTests
{
    private const string ExpectedText = ", there was a little girl named Lily. She loved to play";

    [SharedFact]
    public async Task Greedy_stream_matches_the_reference_text()
    {
        using var model = LlamaModel.Load(StoriesGreedyTests.ModelPath);
        var tokenizer = Tokenizer.Load(StoriesGreedyTests.ModelPath);
        var prompt = tokenizer.EncodeToIds("Once upon a time", addSpecialTokens: true);
        Assert.Equal([1, 403, 407, 261, 378], prompt);
        var stats = new GenerationStats();
        var text = new System.Text.StringBuilder();
        await foreach (var t in new TextGenerator(model, tokenizer).GenerateAsync(prompt, new GenerationOptions { MaxTokens = 16 }, stats))
            text.Append(t.Text);
        Assert.Equal(ExpectedText, text.ToString());
        Assert.Equal(16, stats.GeneratedTokens);
        Assert.Equal(StopReason.MaxTokens, stats.StopReason);
        Assert.True(stats.TimeToFirstToken > TimeSpan.Zero);
    }

    [SharedFact]
    public async Task Stop_string_cuts_the_text()
    {
        using var model = LlamaModel.Load(StoriesGreedyTests.ModelPath);
        var tokenizer = Tokenizer.Load(StoriesGreedyTests.ModelPath);
        var prompt = tokenizer.EncodeToIds("Once upon a time", addSpecialTokens: true);
        var stats = new GenerationStats();
        var text = new System.Text.StringBuilder();
        var options = new GenerationOptions { MaxTokens = 40, StopStrings = ["Lily"] };
        await foreach (var t in new TextGenerator(model, tokenizer).GenerateAsync(prompt, options, stats))
            text.Append(t.Text);
        Assert.Equal(", there was a little girl named ", text.ToString());
        Assert.Equal(StopReason.StopString, stats.StopReason);
    }

    [SharedFact]
    public async Task Seeded_sampling_is_reproducible_and_cancellation_stops_the_stream()
    {
        using var model = LlamaModel.Load(StoriesGreedyTests.ModelPath);
        int[] prompt = [1, 403, 407, 261, 378];
        var options = new GenerationOptions { MaxTokens = 12, Temperature = 1f, TopK = 40, TopP = 0.9f, Seed = 7, IgnoreEos = true };
        var generator = new TextGenerator(model);
        var a = new List<int>();
        await foreach (var t in generator.GenerateAsync(prompt, options)) a.Add(t.Id);
        var b = new List<int>();
        await foreach (var t in generator.GenerateAsync(prompt, options)) b.Add(t.Id);
        Assert.Equal(a, b);
        Assert.Equal(12, a.Count);

        using var cts = new CancellationTokenSource();
        var seen = new List<int>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var t in generator.GenerateAsync(prompt, options with { MaxTokens = 100 }, null, cts.Token))
            {
                seen.Add(t.Id);
                if (seen.Count == 3) cts.Cancel();
            }
        });
        Assert.Equal(3, seen.Count);
    }

    [SharedFact]
    public async Task Generating_over_a_cached_prefix_segment_equals_generating_from_scratch()
    {
        using var model = LlamaModel.Load(StoriesGreedyTests.ModelPath);
        int[] prompt = [1, 403, 407, 261, 378];
        var greedy = new GenerationOptions { MaxTokens = 10 };
        var generator = new TextGenerator(model);
        var plain = new List<int>();
        await foreach (var t in generator.GenerateAsync(prompt, greedy)) plain.Add(t.Id);

        using var prefix = model.Prefill(prompt[..3], [0, 1, 2]);
        var cached = new List<int>();
        await foreach (var t in generator.GenerateAsync(prompt[3..], greedy with { Context = [prefix] })) cached.Add(t.Id);
        Assert.Equal(plain, cached);
    }
}
