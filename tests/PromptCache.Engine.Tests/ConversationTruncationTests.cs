using PromptCache.Engine.Conversations;
using PromptCache.Engine.Synthetic;
using PromptCache.Pml.Requests;
using PromptCache.Runtime.Generation;
using PromptCache.Runtime.Inference;
using Xunit.Abstractions;

namespace PromptCache.Engine.Tests;

public sealed class ConversationTruncationTests(ITestOutputHelper output)
{
    // One layer: a token's K/V in layer 0 depends only on the token and its position, never on what it attended to.
    // So once the oldest turns are dropped, the kept history's K/V is exactly what a fresh computation of the kept
    // text at the new positions gives, and the only difference left is the rounding of the re-rotation. (With more
    // layers the kept tokens' K/V remember the dropped turns; that is the point of truncating instead of
    // recomputing, and it is not a rounding difference.) Small context window, so a few turns overflow it.
    private static readonly SyntheticShape OneLayer = new("one-layer-ctx400", 64, 1, 4, 2, 176, ContextLength: 400);

    private static readonly GenerationOptions Answer = new() { MaxTokens = 6, IgnoreEos = true };

    // The cached path without any truncation already differs from a full prefill by ~7e-7 here (summation order
    // of the session's separate segments); re-rotating a key adds a few float32 roundings (~1e-7 relative) to
    // each kept key. 1e-5 is ten times the untruncated difference, and far below what one position of error
    // costs (the control below, > 1e-3).
    private const float Tolerance = 1e-5f;

    [Fact]
    public async Task After_truncation_the_next_turns_logits_match_a_full_recompute_of_the_kept_text_at_the_new_positions()
    {
        await using var engine = PromptCacheEngine.CreateSynthetic(OneLayer, 11);
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        using var conversation = engine.StartConversation(Requests.TripDefault("3", "Hello, where to?"),
            new ConversationOptions { Overflow = ConversationOverflow.TruncateOldestTurns });
        int schemaEnd = engine.GetSchema("trip").TotalLength;
        await conversation.RunAsync(Answer);
        int compared = 0, comparedAfterTruncation = 0;
        float worst = 0;
        for (int turn = 2; turn <= 14; turn++)
        {
            conversation.Add(PromptSuffixPart.User($"Turn {turn}: tell me more about that place."));
            if (turn % 2 == 0)
            {
                await conversation.RunAsync(Answer);
            }
            else
            {
                var logits = await conversation.ComputeNextLogitsAsync(Answer.MaxTokens);
                var full = engine.Model.Forward([.. conversation.HistoryIds], [.. conversation.HistoryPositions], [], null, LogitsMode.Last);
                float diff = TestSchemas.MaxAbsDiff(logits, full.Row(0).ToArray());
                // Control: the same text with the history one position off is far outside the tolerance, so a
                // wrong shift or a missing re-rotation cannot pass.
                int[] offByOne = [.. conversation.HistoryPositions.Select(p => p >= schemaEnd ? p + 1 : p)];
                var shifted = engine.Model.Forward([.. conversation.HistoryIds], offByOne, [], null, LogitsMode.Last);
                Assert.True(TestSchemas.MaxAbsDiff(logits, shifted.Row(0).ToArray()) > 100 * Tolerance);
                output.WriteLine($"turn {turn}: dropped {conversation.LastTurn!.DroppedTokens} positions ({conversation.LastTurn.DroppedTurns} turns), history {conversation.LastTurn.HistoryTokens}, max |Δlogit| {diff:E2}");
                worst = Math.Max(worst, diff);
                compared++;
                if (conversation.Counters.Truncations > 0) comparedAfterTruncation++;
            }
            // Whatever was dropped, the history stays gap-free after the schema and inside the window.
            var positions = conversation.HistoryPositions;
            Assert.True(positions[^1] < OneLayer.ContextLength);
            for (int i = positions.ToList().FindIndex(p => p >= schemaEnd) + 1; i < positions.Count; i++) Assert.Equal(positions[i - 1] + 1, positions[i]);
        }
        Assert.True(conversation.Counters.Truncations >= 2, $"expected the window to overflow at least twice, got {conversation.Counters.Truncations}");
        Assert.True(comparedAfterTruncation >= 2);
        Assert.Equal(0, conversation.Counters.RecomputedTokens);
        Assert.True(worst <= Tolerance, $"max |Δlogit| {worst}");
    }

    [Fact]
    public async Task Truncation_keeps_the_schema_arguments_and_uncached_modules_and_drops_whole_turns()
    {
        await using var engine = PromptCacheEngine.CreateSynthetic(OneLayer, 11);
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        using var conversation = engine.StartConversation(Requests.TripDefault("3", "Hello, where to?"),
            new ConversationOptions { Overflow = ConversationOverflow.TruncateOldestTurns });
        var schema = engine.GetSchema("trip");
        await conversation.RunAsync(Answer);
        var pinned = conversation.HistoryIds.Zip(conversation.HistoryPositions).Where(t => t.Second < schema.TotalLength).ToList();
        while (conversation.Counters.Truncations == 0)
        {
            conversation.Add(PromptSuffixPart.User("And then what happened next, exactly?"));
            await conversation.RunAsync(Answer);
            Assert.True(conversation.Turns < 20);
        }
        var after = conversation.HistoryIds.Zip(conversation.HistoryPositions).Where(t => t.Second < schema.TotalLength).ToList();
        Assert.Equal(pinned, after);
        // The first turn (its user message) is what went; the history after the schema now starts with a user turn.
        string text = engine.Tokenizer.Decode([.. conversation.HistoryIds.Skip(pinned.Count)], false);
        Assert.DoesNotContain("Hello, where to?", text);
        Assert.StartsWith("<|im_start|>user\nAnd then", text);
        Assert.Equal(conversation.LastTurn!.DroppedTokens, conversation.Counters.DroppedTokens);
    }

    [Fact]
    public async Task By_default_an_overflowing_turn_throws_naming_the_token_counts_and_the_limit()
    {
        await using var engine = PromptCacheEngine.CreateSynthetic(OneLayer, 11);
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        using var conversation = engine.StartConversation(Requests.TripDefault("3", "Hello, where to?"));
        await conversation.RunAsync(Answer);
        PromptCacheException? e = null;
        for (int turn = 2; turn < 20 && e is null; turn++)
        {
            conversation.Add(PromptSuffixPart.User("And then what happened next, exactly?"));
            try
            {
                await conversation.RunAsync(Answer);
            }
            catch (PromptCacheException caught)
            {
                e = caught;
            }
        }
        Assert.NotNull(e);
        output.WriteLine(e.Message);
        Assert.Contains("schema 'trip'", e.Message);
        Assert.Contains($"{engine.GetSchema("trip").TotalLength} schema tokens", e.Message);
        Assert.Contains("MaxTokens 6", e.Message);
        Assert.Contains("context window of 400", e.Message);
        Assert.Contains("TruncateOldestTurns", e.Message);
    }

    [Fact]
    public async Task A_turn_that_cannot_fit_even_after_dropping_every_earlier_turn_throws()
    {
        await using var engine = PromptCacheEngine.CreateSynthetic(OneLayer, 11);
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        using var conversation = engine.StartConversation(Requests.TripDefault("3", "Hi"),
            new ConversationOptions { Overflow = ConversationOverflow.TruncateOldestTurns });
        await conversation.RunAsync(Answer);
        conversation.Add(PromptSuffixPart.User(new string('x', 300)));
        var e = await Assert.ThrowsAsync<PromptCacheException>(() => conversation.RunAsync(Answer));
        Assert.Contains("dropping every earlier turn frees only", e.Message);
    }

    [Fact]
    public async Task MaxPositions_sets_a_smaller_window_than_the_models()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        int window = engine.GetSchema("trip").TotalLength + 60;
        using var conversation = engine.StartConversation(Requests.TripDefault("3", "Hi"), new ConversationOptions { MaxPositions = window });
        await conversation.RunAsync(Answer);
        conversation.Add(PromptSuffixPart.User(new string('y', 60)));
        var e = await Assert.ThrowsAsync<PromptCacheException>(() => conversation.RunAsync(Answer));
        Assert.Contains($"conversation's context window (ConversationOptions.MaxPositions) of {window}", e.Message);
    }
}
