using PromptCache.Engine.Conversations;
using PromptCache.Engine.Synthetic;
using PromptCache.Pml.Requests;
using PromptCache.Runtime.Caching.Store;
using PromptCache.Runtime.Generation;

namespace PromptCache.Engine.Tests;

/// <summary>Sessions as store entries: spill to disk and reload, recompute when gone, keys, disposal, concurrency.</summary>
public sealed class ConversationStoreTests
{
    private static readonly GenerationOptions Answer = new() { MaxTokens = 5, IgnoreEos = true };

    // The Tiny shape holds 2 layers × 2 kv heads × 16 dims × K and V × 4 bytes = 512 B per token, so a session of
    // ~130 tokens is ~65 KiB. A 100 KiB memory tier holds one idle session, not two.
    private const long OneSessionBudget = 100 << 10;

    private static string LongQuestion(string who) => $"{who}: " + string.Concat(Enumerable.Repeat("where should I go next and why? ", 3));

    [Fact]
    public async Task An_idle_session_spilled_to_disk_is_reloaded_on_its_next_turn_without_recomputation()
    {
        string dir = TestSchemas.TempDirectory();
        await using var engine = PromptCacheEngine.CreateSynthetic(SyntheticShape.Tiny, 7,
            new PromptCacheEngineOptions { DiskCacheDirectory = dir, MemoryBudgetBytes = OneSessionBudget });
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        using var a = engine.StartConversation(Requests.TripCity("3", "Oslo", LongQuestion("A")), ConversationOptions.Default);
        using var b = engine.StartConversation(Requests.TripCity("4", "Rome", LongQuestion("B")), ConversationOptions.Default);
        await a.RunAsync(Answer);
        await b.RunAsync(Answer);
        await engine.Store.FlushAsync(); // the spill write runs in the background
        Assert.Equal(KvTier.Disk, engine.Store.Locate(a.SessionKey)); // B's save pushed idle A out of memory
        var before = engine.Store.GetCounters();

        a.Add(PromptSuffixPart.User("And after that?"));
        var spilled = await a.ComputeNextLogitsAsync();
        Assert.Equal(SessionSource.Disk, a.LastTurn!.Source);
        Assert.Equal(0, a.Counters.RecomputedTokens);
        Assert.True(engine.Store.GetCounters().DiskHits > before.DiskHits);

        // The same conversation on an engine without memory pressure gives the same logits bit for bit: the disk
        // copy is the memory copy (pre-RoPE bytes, checksummed), rotated by the same code.
        await using var roomy = PromptCacheEngine.CreateSynthetic(SyntheticShape.Tiny, 7);
        await roomy.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        using var reference = roomy.StartConversation(Requests.TripCity("3", "Oslo", LongQuestion("A")), ConversationOptions.Default);
        await reference.RunAsync(Answer);
        reference.Add(PromptSuffixPart.User("And after that?"));
        var resident = await reference.ComputeNextLogitsAsync();
        Assert.Equal(SessionSource.Memory, reference.LastTurn!.Source);
        Assert.Equal(resident, spilled);
    }

    [Fact]
    public async Task A_session_evicted_without_a_disk_tier_is_recomputed_from_its_tokens()
    {
        await using var engine = PromptCacheEngine.CreateSynthetic(SyntheticShape.Tiny, 7, new PromptCacheEngineOptions { MemoryBudgetBytes = OneSessionBudget });
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        using var a = engine.StartConversation(Requests.TripCity("3", "Oslo", LongQuestion("A")), ConversationOptions.Default);
        using var b = engine.StartConversation(Requests.TripCity("4", "Rome", LongQuestion("B")), ConversationOptions.Default);
        await a.RunAsync(Answer);
        await b.RunAsync(Answer);
        Assert.Equal(KvTier.None, engine.Store.Locate(a.SessionKey));

        a.Add(PromptSuffixPart.User("And after that?"));
        var recomputed = await a.ComputeNextLogitsAsync();
        Assert.Equal(SessionSource.Recomputed, a.LastTurn!.Source);
        Assert.Equal(a.LastTurn.HistoryTokens, a.Counters.RecomputedTokens);

        await using var roomy = PromptCacheEngine.CreateSynthetic(SyntheticShape.Tiny, 7);
        await roomy.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        using var reference = roomy.StartConversation(Requests.TripCity("3", "Oslo", LongQuestion("A")), ConversationOptions.Default);
        await reference.RunAsync(Answer);
        reference.Add(PromptSuffixPart.User("And after that?"));
        // Recomputing the history in one pass instead of turn by turn changes only the summation order: f32 bar.
        Assert.True(TestSchemas.MaxAbsDiff(await reference.ComputeNextLogitsAsync(), recomputed) <= 1e-3f);
    }

    [Fact]
    public async Task Session_turns_match_a_full_recompute_of_the_history()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Pick, "pick"));
        using var conversation = engine.StartConversation(Requests.Pick("a", null, "Question one?"), ConversationOptions.Default);
        await conversation.RunAsync(Answer);
        for (int turn = 2; turn <= 4; turn++)
        {
            conversation.Add(PromptSuffixPart.User($"Question {turn}?"));
            var logits = await conversation.ComputeNextLogitsAsync();
            Assert.Equal(SessionSource.Memory, conversation.LastTurn!.Source);
            var full = engine.Model.Forward([.. conversation.HistoryIds], [.. conversation.HistoryPositions], [], null, Runtime.Inference.LogitsMode.Last);
            // Prefix-exact schema: the cached path equals a full prefill up to f32 summation order (issue 5's bar).
            Assert.True(TestSchemas.MaxAbsDiff(logits, full.Row(0).ToArray()) <= 1e-3f);
        }
    }

    [Fact]
    public async Task Disposing_a_conversation_removes_its_entry_from_every_tier()
    {
        string dir = TestSchemas.TempDirectory();
        await using var engine = TestSchemas.TinyEngine(dir);
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var conversation = engine.StartConversation(Requests.TripCity("3", "Oslo", "Go?"), new ConversationOptions { Persist = KvPersistMode.Durable, SessionId = "s1" });
        await conversation.RunAsync(Answer);
        var key = conversation.SessionKey;
        Assert.Equal(KvTier.Memory, engine.Store.Locate(key));
        Assert.True(File.Exists(Path.Combine(dir, key + ".kv")));
        conversation.Dispose();
        Assert.Equal(KvTier.None, engine.Store.Locate(key));
        Assert.False(File.Exists(Path.Combine(dir, key + ".kv")));
        // The id is free again.
        using var again = engine.StartConversation(Requests.TripCity("3", "Oslo", "Go?"), new ConversationOptions { SessionId = "s1" });
    }

    [Fact]
    public async Task Session_keys_are_apart_from_module_keys_and_across_tenants()
    {
        await using var plain = TestSchemas.TinyEngine();
        await using var tenant = PromptCacheEngine.CreateSynthetic(SyntheticShape.Tiny, 7, new PromptCacheEngineOptions { TenantSalt = "tenant-b" });
        await plain.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        await tenant.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        using var a = plain.StartConversation(Requests.TripCity("3", "Oslo", "Go?"), new ConversationOptions { SessionId = "same" });
        using var b = tenant.StartConversation(Requests.TripCity("3", "Oslo", "Go?"), new ConversationOptions { SessionId = "same" });
        Assert.NotEqual(a.SessionKey, b.SessionKey);
        await a.RunAsync(Answer);
        Assert.Equal(Runtime.Caching.Entries.KvEntryKind.Session, KvEntryKindOf(plain, a));
        // A second live conversation may not take the same id in one engine.
        var e = Assert.Throws<ArgumentException>(() => plain.StartConversation(Requests.TripCity("3", "Oslo", "Go?"), new ConversationOptions { SessionId = "same" }));
        Assert.Contains("'same'", e.Message);
    }

    private static Runtime.Caching.Entries.KvEntryKind KvEntryKindOf(PromptCacheEngine engine, PromptConversation conversation)
    {
        using var lease = engine.Store.TryGetResident(conversation.SessionKey);
        Assert.NotNull(lease);
        Assert.False(lease.Metadata.RopeApplied);
        return lease.Metadata.Kind;
    }

    [Fact]
    public async Task Two_conversations_in_parallel_give_their_sequential_answers()
    {
        await using var engine = PromptCacheEngine.CreateSynthetic(SyntheticShape.Tiny, 7, new PromptCacheEngineOptions { MaxConcurrentForwards = 2 });
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        async Task<List<int>> Run(string city)
        {
            using var c = engine.StartConversation(Requests.TripCity("3", city, "Go?"), ConversationOptions.Default);
            var ids = new List<int>();
            ids.AddRange((await c.RunAsync(Answer)).TokenIds);
            for (int turn = 0; turn < 3; turn++)
            {
                c.Add(PromptSuffixPart.User($"More {turn}?"));
                ids.AddRange((await c.RunAsync(Answer)).TokenIds);
            }
            return ids;
        }
        var sequential = new[] { await Run("Oslo"), await Run("Rome") };
        var parallel = await Task.WhenAll(Task.Run(() => Run("Oslo")), Task.Run(() => Run("Rome")));
        Assert.Equal(sequential[0], parallel[0]);
        Assert.Equal(sequential[1], parallel[1]);
    }

    [Fact]
    public async Task A_conversations_turns_are_serialised()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        using var conversation = engine.StartConversation(Requests.TripCity("3", "Oslo", "Go?"), ConversationOptions.Default);
        await using var stream = conversation.StreamAsync(Answer).GetAsyncEnumerator();
        Assert.True(await stream.MoveNextAsync());
        var add = Assert.Throws<InvalidOperationException>(() => conversation.Add(PromptSuffixPart.User("Interrupt")));
        Assert.Contains("serialised", add.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => conversation.RunAsync(Answer));
        while (await stream.MoveNextAsync())
        {
        }
        conversation.Add(PromptSuffixPart.User("Now?"));
        await conversation.RunAsync(Answer);
        Assert.Equal(2, conversation.Turns);
    }

    [Fact]
    public async Task A_consumer_that_stops_reading_leaves_a_consistent_history()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Pick, "pick"));
        using var conversation = engine.StartConversation(Requests.Pick("a", null, "Question one?"), ConversationOptions.Default);
        await foreach (var _ in conversation.StreamAsync(new GenerationOptions { MaxTokens = 8, IgnoreEos = true }))
        {
            break; // the first token was sampled, never pushed through the model
        }
        conversation.Add(PromptSuffixPart.User("Question two?"));
        var logits = await conversation.ComputeNextLogitsAsync();
        var full = engine.Model.Forward([.. conversation.HistoryIds], [.. conversation.HistoryPositions], [], null, Runtime.Inference.LogitsMode.Last);
        Assert.True(TestSchemas.MaxAbsDiff(logits, full.Row(0).ToArray()) <= 1e-3f);
    }

    [Fact]
    public async Task A_conversation_disposed_after_its_engine_does_not_throw()
    {
        var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var conversation = engine.StartConversation(Requests.TripCity("3", "Oslo", "Go?"), ConversationOptions.Default);
        await conversation.RunAsync(Answer);
        await engine.DisposeAsync();
        conversation.Dispose();
    }
}
