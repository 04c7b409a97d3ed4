using PromptCache.Engine.Synthetic;
using PromptCache.Runtime.Generation;

namespace PromptCache.Engine.Tests;

/// <summary>
/// Requests that reuse a finished request's K/V segment (<see cref="PromptCacheEngineOptions.ReusedSessionSegments"/>)
/// answer exactly as with a new segment each, whatever ran in the segment before.
/// </summary>
public sealed class SessionReuseTests
{
    private static readonly GenerationOptions Greedy = new() { MaxTokens = 8, IgnoreEos = true };

    [Fact]
    public async Task A_reused_session_segment_gives_the_same_tokens_as_a_new_one()
    {
        // Long answers first, then shorter ones into the same (longer, dirtier) segments; cached and uncached.
        var requests = new[]
        {
            Requests.TripCity("3", "Lisbon", "Plan every day in detail, please."),
            Requests.TripDefault("2", "Short?"),
            Requests.TripCity("9", "Rome", "Go?"),
            Requests.TripDefault("5", "What should I pack for the beach?"),
        };
        var fresh = await Answers(reused: 0, requests);
        var reused = await Answers(reused: 1, requests);
        for (int i = 0; i < fresh.Count; i++) Assert.Equal(fresh[i], reused[i]);
    }

    private static async Task<List<IReadOnlyList<int>>> Answers(int reused, IEnumerable<Pml.Requests.PromptRequest> requests)
    {
        await using var engine = PromptCacheEngine.CreateSynthetic(SyntheticShape.Tiny, seed: 7, new PromptCacheEngineOptions { ReusedSessionSegments = reused });
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var answers = new List<IReadOnlyList<int>>();
        foreach (var request in requests)
        {
            answers.Add((await engine.RunAsync(request, Greedy)).TokenIds);
            answers.Add((await engine.RunUncachedAsync(request, Greedy)).TokenIds);
        }
        return answers;
    }
}
