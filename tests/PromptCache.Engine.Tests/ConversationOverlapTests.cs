using PromptCache.Engine.Conversations;
using PromptCache.Engine.Synthetic;
using PromptCache.Pml.Requests;
using PromptCache.Runtime.Caching.Persistence;
using PromptCache.Runtime.Caching.Store;
using PromptCache.Runtime.Generation;

namespace PromptCache.Engine.Tests;

/// <summary>
/// A session's layer-wise load overlaps the turn's forward pass; a stored session that fails verification
/// part-way through (after the forward already used its first layer) is recomputed, never used.
/// </summary>
public sealed class ConversationOverlapTests
{
    private static readonly GenerationOptions Answer = new() { MaxTokens = 5, IgnoreEos = true };
    private const long OneSessionBudget = 100 << 10; // one idle Tiny session fits, two do not (see ConversationStoreTests)

    private static string LongQuestion(string who) => $"{who}: " + string.Concat(Enumerable.Repeat("where should I go next and why? ", 3));

    [Fact]
    public async Task A_session_file_corrupt_in_its_last_layer_is_recomputed_mid_turn_with_the_right_answer()
    {
        string dir = TestSchemas.TempDirectory();
        var log = new List<string>();
        await using var engine = PromptCacheEngine.CreateSynthetic(SyntheticShape.Tiny, 7,
            new PromptCacheEngineOptions { DiskCacheDirectory = dir, MemoryBudgetBytes = OneSessionBudget, Log = m => { lock (log) log.Add(m); } });
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        using var a = engine.StartConversation(Requests.TripCity("3", "Oslo", LongQuestion("A")), ConversationOptions.Default);
        using var b = engine.StartConversation(Requests.TripCity("4", "Rome", LongQuestion("B")), ConversationOptions.Default);
        await a.RunAsync(Answer);
        await b.RunAsync(Answer);
        await engine.Store.FlushAsync();
        Assert.Equal(KvTier.Disk, engine.Store.Locate(a.SessionKey));

        // Flip bytes near the end of A's file: the last layer's payload fails its CRC, the first layer loads fine.
        string file = Path.Combine(dir, KvFileFormat.FileName(a.SessionKey));
        byte[] bytes = File.ReadAllBytes(file);
        for (int i = bytes.Length - 200; i < bytes.Length - 184; i++) bytes[i] ^= 0x5A;
        File.WriteAllBytes(file, bytes);

        a.Add(PromptSuffixPart.User("And after that?"));
        var logits = await a.ComputeNextLogitsAsync();
        Assert.Equal(SessionSource.Recomputed, a.LastTurn!.Source);
        Assert.Equal(a.LastTurn.HistoryTokens, a.LastTurn.RecomputedTokens);
        Assert.Contains(log, m => m.Contains("failed verification while loading"));

        // The same conversation with no memory pressure: the recomputed history must give the same next token.
        await using var roomy = PromptCacheEngine.CreateSynthetic(SyntheticShape.Tiny, 7);
        await roomy.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        using var reference = roomy.StartConversation(Requests.TripCity("3", "Oslo", LongQuestion("A")), ConversationOptions.Default);
        await reference.RunAsync(Answer);
        reference.Add(PromptSuffixPart.User("And after that?"));
        var expected = await reference.ComputeNextLogitsAsync();
        // Recomputed vs loaded-then-carried K/V: same tokens and positions, f32; only GEMM batching differs.
        float worst = expected.Zip(logits, (x, y) => MathF.Abs(x - y)).Max();
        Assert.True(worst <= 1e-3f, $"max abs logit difference {worst}");

        // The next turn saved a fresh entry from the recomputed history: it loads cleanly again.
        a.Add(PromptSuffixPart.User("Thanks."));
        await a.ComputeNextLogitsAsync();
        Assert.NotEqual(SessionSource.Recomputed, a.LastTurn!.Source);
    }
}
