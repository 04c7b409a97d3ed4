using PromptCache.Runtime.Generation;

namespace PromptCache.Engine.Tests;

/// <summary>The text side of the decode loop: stop strings and the decoder's held-back bytes.</summary>
public sealed class GenerationTextTests
{
    private static readonly GenerationOptions Twelve = new() { MaxTokens = 12, IgnoreEos = true };

    [Fact]
    public async Task Text_at_the_end_includes_bytes_the_streaming_decoder_held_back()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var result = await engine.RunAsync(Requests.TripDefault("a week", "Plan it."), Twelve);
        Assert.Equal(12, result.TokenIds.Count);
        // The tiny model emits arbitrary bytes: unfinished UTF-8 at the end must come out (as U+FFFD), not vanish.
        Assert.Equal(engine.Tokenizer.Decode(result.TokenIds, true), result.Text);
        Assert.NotEmpty(result.Text);
    }

    [Fact]
    public async Task Stop_strings_cut_the_text_before_the_stop_in_run_and_stream()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var request = Requests.TripDefault("a week", "Plan it.");
        var free = await engine.RunAsync(request, Twelve);
        Assert.True(free.Text.Length >= 4, $"need some text to pick a stop string from, got {free.Text.Length} chars");
        string stop = free.Text.Substring(free.Text.Length / 2, 2);
        string expected = free.Text[..free.Text.IndexOf(stop, StringComparison.Ordinal)];

        var options = new GenerationOptions { MaxTokens = 12, IgnoreEos = true, StopStrings = [stop] };
        var stopped = await engine.RunAsync(request, options);
        Assert.Equal(expected, stopped.Text);
        Assert.Equal(StopReason.StopString, stopped.Stats.StopReason);

        var streamed = new System.Text.StringBuilder();
        await foreach (var piece in engine.StreamAsync(request, options))
        {
            streamed.Append(piece);
            Assert.DoesNotContain(stop, streamed.ToString(), StringComparison.Ordinal);
        }
        Assert.Equal(expected, streamed.ToString());
    }

    [Fact]
    public async Task A_stop_string_that_never_appears_changes_nothing()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var request = Requests.TripDefault("a week", "Plan it.");
        var free = await engine.RunAsync(request, Twelve);
        var withStop = await engine.RunAsync(request, new GenerationOptions { MaxTokens = 12, IgnoreEos = true, StopStrings = ["\u0001never\u0002"] });
        Assert.Equal(free.Text, withStop.Text);
        Assert.Equal(free.TokenIds, withStop.TokenIds);
        Assert.Equal(StopReason.MaxTokens, withStop.Stats.StopReason);
    }
}
