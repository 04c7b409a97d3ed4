using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using PromptCache.Engine;
using PromptCache.Runtime.Caching.Store;

namespace PromptCache.Hosting.Tests;

/// <summary>
/// The chat client's conversation reuse, on the tiny synthetic model. Its greedy answers are ASCII ("8888…"), which
/// encode back to the sampled tokens, so conversations are kept; the reference is a client with reuse off
/// (<c>MaxConversations = 0</c>) on the same engine, which recomputes the whole chat every call.
/// </summary>
public sealed class ChatClientConversationTests
{
    private const string System = "Be brief.";

    private static ChatOptions Greedy(string? conversationId = null) => new() { MaxOutputTokens = 6, ConversationId = conversationId };

    private static async Task<(ServiceProvider Services, HostedPromptCache Cache, PromptCacheEngine Engine)> EngineAsync()
    {
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddPromptCache(TestHosts.Tiny);
        var services = collection.BuildServiceProvider();
        var cache = services.GetRequiredService<HostedPromptCache>();
        return (services, cache, await cache.GetEngineAsync());
    }

    private static PromptCacheChatClient Client(IPromptCache cache, int maxConversations = 16) =>
        new(cache, new PromptCacheChatClientOptions { SystemPrompt = System, MaxConversations = maxConversations });

    private static int Uncached(ChatResponse r) => (int)(r.Usage!.InputTokenCount!.Value - r.Usage.CachedInputTokenCount!.Value);

    private static int AnswerTokens(ChatResponse r) => (int)r.Usage!.OutputTokenCount!.Value - (r.FinishReason == ChatFinishReason.Stop ? 1 : 0);

    [Fact]
    public async Task Each_turn_computes_only_its_new_tokens_and_answers_as_a_full_recompute_does()
    {
        var (services, cache, engine) = await EngineAsync();
        await using var _ = services;
        using var reuse = Client(cache);
        using var plain = Client(cache, maxConversations: 0);
        var before = engine.GetCounters();
        var history = new List<ChatMessage> { new(ChatRole.User, "Hello!") };
        ChatResponse? previousPlain = null;
        string[] users = ["How are you?", "Tell me more.", "Why?", "Thanks."];
        for (int turn = 1; turn <= 5; turn++)
        {
            var r = await reuse.GetResponseAsync(history, Greedy());
            var p = await plain.GetResponseAsync(history, Greedy());
            Assert.Equal(p.Text, r.Text);
            Assert.Equal(p.Usage!.InputTokenCount, r.Usage!.InputTokenCount);   // the same prompt, token for token
            Assert.Equal(p.Usage.OutputTokenCount, r.Usage.OutputTokenCount);
            Assert.Equal(p.FinishReason, r.FinishReason);
            if (turn == 1)
            {
                Assert.Equal(p.Usage.CachedInputTokenCount, r.Usage.CachedInputTokenCount);   // only the schema
            }
            else
            {
                // Reused: everything up to the previous answer's last token; computed: that token when it was cut at
                // MaxOutputTokens (sampled, not yet pushed through the model), the closing marker, the new message and the
                // generation prompt. The plain path's suffix grew by exactly the previous answer plus those.
                int expected = Uncached(p) - Uncached(previousPlain!) - AnswerTokens(previousPlain!) + (previousPlain!.FinishReason == ChatFinishReason.Length ? 1 : 0);
                Assert.Equal(expected, Uncached(r));
                Assert.True(Uncached(r) < Uncached(p) - Uncached(previousPlain), $"turn {turn}: {Uncached(r)} tokens computed with reuse, {Uncached(p)} without");
            }
            Assert.False(string.IsNullOrEmpty(r.Text));
            Assert.Null(r.ConversationId);   // not asked for: the transcript is the key
            previousPlain = p;
            if (turn < 5)
            {
                history.AddMessages(r);
                history.Add(new ChatMessage(ChatRole.User, users[turn - 1]));
            }
        }

        var held = Assert.Single(reuse.Conversations.Snapshot());
        Assert.Equal(5, held.Conversation!.Turns);
        Assert.Equal(4, held.Conversation.Counters.MemoryLoads);
        var counters = engine.GetCounters();
        Assert.Equal(5, counters.ConversationTurns - before.ConversationTurns);
        Assert.Equal(4, counters.SessionMemoryLoads - before.SessionMemoryLoads);
        Assert.Equal(0, counters.SessionRecomputes - before.SessionRecomputes);
    }

    [Fact]
    public async Task A_diverging_history_starts_a_new_conversation()
    {
        var (services, cache, _) = await EngineAsync();
        await using var __ = services;
        using var client = Client(cache);
        var first = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hello!")], Greedy());
        int schemaTokens = (int)first.Usage!.CachedInputTokenCount!.Value;
        var original = client.Conversations.Snapshot().Single().Conversation;

        // An edited earlier message, an edited answer, and a changed instruction: none is what the conversation holds.
        ChatMessage[][] diverging =
        [
            [new(ChatRole.User, "Hello?"), new(ChatRole.Assistant, first.Text), new(ChatRole.User, "Next.")],
            [new(ChatRole.User, "Hello!"), new(ChatRole.Assistant, first.Text + "!"), new(ChatRole.User, "Next.")],
        ];
        foreach (var messages in diverging)
        {
            var r = await client.GetResponseAsync(messages, Greedy());
            Assert.Equal(schemaTokens, r.Usage!.CachedInputTokenCount);
        }
        var instructed = Greedy();
        instructed.Instructions = "Answer in French.";
        var withInstructions = await client.GetResponseAsync([new(ChatRole.User, "Hello!"), new(ChatRole.Assistant, first.Text), new(ChatRole.User, "Next.")], instructed);
        Assert.Equal(schemaTokens, withInstructions.Usage!.CachedInputTokenCount);

        // The untouched history still continues the original conversation.
        var same = await client.GetResponseAsync([new(ChatRole.User, "Hello!"), new(ChatRole.Assistant, first.Text), new(ChatRole.User, "Next.")], Greedy());
        Assert.True(same.Usage!.CachedInputTokenCount > schemaTokens);
        Assert.Equal(2, original!.Turns);
        Assert.Equal(4, client.Conversations.Count);
    }

    [Fact]
    public async Task Conversations_beyond_MaxConversations_are_disposed_least_recently_used_first()
    {
        var (services, cache, engine) = await EngineAsync();
        await using var __ = services;
        using var client = Client(cache, maxConversations: 2);
        var a = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "A")], Greedy());
        var b = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "B")], Greedy());
        var conversationOf = client.Conversations.Snapshot().ToDictionary(s => s.Transcript[0].Text, s => s.Conversation!);
        // A is used again, so B is now the least recently used.
        await client.GetResponseAsync([new(ChatRole.User, "A"), new(ChatRole.Assistant, a.Text), new(ChatRole.User, "A2")], Greedy());
        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "C")], Greedy());

        var held = client.Conversations.Snapshot();
        Assert.Equal(2, held.Count);
        Assert.Equal(["A", "C"], held.Select(s => s.Transcript[0].Text).Order());
        var evicted = conversationOf["B"];
        Assert.Equal(KvTier.None, engine.Store.Locate(evicted.SessionKey));   // Dispose removed its K/V
        Assert.Throws<ObjectDisposedException>(() => evicted.Add(Pml.Requests.PromptSuffixPart.User("x")));
        Assert.NotEqual(KvTier.None, engine.Store.Locate(conversationOf["A"].SessionKey));

        // B's history now starts afresh.
        int schemaTokens = (int)b.Usage!.CachedInputTokenCount!.Value;
        var again = await client.GetResponseAsync([new(ChatRole.User, "B"), new(ChatRole.Assistant, b.Text), new(ChatRole.User, "B2")], Greedy());
        Assert.Equal(schemaTokens, again.Usage!.CachedInputTokenCount);

        client.Dispose();
        Assert.Equal(0, client.Conversations.Count);
        Assert.Equal(KvTier.None, engine.Store.Locate(conversationOf["A"].SessionKey));
    }

    [Fact]
    public async Task A_ConversationId_names_the_conversation_and_takes_the_messages_as_the_new_turn()
    {
        var (services, cache, _) = await EngineAsync();
        await using var __ = services;
        using var client = Client(cache);
        using var plain = Client(cache, maxConversations: 0);
        var first = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hello!")], Greedy("chat-42"));
        Assert.Equal("chat-42", first.ConversationId);
        Assert.Equal("chat-42", client.Conversations.Snapshot().Single().Conversation!.SessionId);

        // Only the new message; the answer equals a full recompute of the whole chat.
        var second = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "How are you?")], Greedy("chat-42"));
        var reference = await plain.GetResponseAsync(
            [new(ChatRole.User, "Hello!"), new(ChatRole.Assistant, first.Text), new(ChatRole.User, "How are you?")], Greedy());
        Assert.Equal("chat-42", second.ConversationId);
        Assert.Equal(false, first.Messages.Single().AdditionalProperties?[PromptCacheChatClient.ReusedProperty]);
        Assert.Equal(true, second.Messages.Single().AdditionalProperties?[PromptCacheChatClient.ReusedProperty]);
        Assert.Equal(reference.Text, second.Text);
        Assert.Equal(reference.Usage!.InputTokenCount, second.Usage!.InputTokenCount);
        Assert.True(second.Usage.CachedInputTokenCount > reference.Usage.CachedInputTokenCount);

        // A transcript-keyed request never continues a named conversation.
        var unnamed = await client.GetResponseAsync(
            [new(ChatRole.User, "Hello!"), new(ChatRole.Assistant, first.Text), new(ChatRole.User, "How are you?")], Greedy());
        Assert.Equal(reference.Usage.CachedInputTokenCount, unnamed.Usage!.CachedInputTokenCount);

        // An answer cut by a stop sequence drops the conversation, and the response does not name it back.
        var stopped = Greedy("chat-42");
        stopped.StopSequences = [second.Text[..1]];
        var cut = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Go on.")], stopped);
        Assert.Null(cut.ConversationId);
        Assert.DoesNotContain(client.Conversations.Snapshot(), s => s.ConversationId == "chat-42");
    }

    [Fact]
    public async Task An_answer_that_ended_early_drops_its_conversation()
    {
        var (services, cache, _) = await EngineAsync();
        await using var __ = services;
        using var client = Client(cache);
        var full = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hello!")], Greedy());
        Assert.Equal(1, client.Conversations.Count);

        // Cut by a stop sequence: the model holds the stop text the caller never sees.
        var stop = Greedy();
        stop.StopSequences = [full.Text[1..2]];
        var cut = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi!")], stop);
        Assert.Equal(ChatFinishReason.Stop, cut.FinishReason);
        Assert.Equal(1, client.Conversations.Count);

        // The consumer stops reading after the first piece.
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Hey!")], Greedy()))
        {
            if (update.Text.Length > 0) break;
        }
        Assert.Equal(1, client.Conversations.Count);

        // Canceled mid-stream.
        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Yo!")], Greedy(), cts.Token))
                if (update.Text.Length > 0) await cts.CancelAsync();
        });
        Assert.Equal(1, client.Conversations.Count);

        // The cut history does not continue anything.
        var next = await client.GetResponseAsync([new(ChatRole.User, "Hi!"), new(ChatRole.Assistant, cut.Text), new(ChatRole.User, "More.")], Greedy());
        Assert.Equal(full.Usage!.CachedInputTokenCount, next.Usage!.CachedInputTokenCount);
    }

    [Fact]
    public async Task Concurrent_requests_on_one_history_all_get_answers()
    {
        var (services, cache, _) = await EngineAsync();
        await using var __ = services;
        using var client = Client(cache);
        using var plain = Client(cache, maxConversations: 0);
        var first = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hello!")], Greedy());
        ChatMessage[] history = [new(ChatRole.User, "Hello!"), new(ChatRole.Assistant, first.Text), new(ChatRole.User, "And?")];
        var reference = await plain.GetResponseAsync(history, Greedy());

        // Streams held open together: the first takes the conversation, the others start their own.
        var streams = Enumerable.Range(0, 4).Select(_ => client.GetStreamingResponseAsync(history, Greedy()).GetAsyncEnumerator()).ToList();
        foreach (var stream in streams) Assert.True(await stream.MoveNextAsync());
        var texts = new List<string>();
        foreach (var stream in streams)
        {
            var updates = new List<ChatResponseUpdate> { stream.Current };
            while (await stream.MoveNextAsync()) updates.Add(stream.Current);
            await stream.DisposeAsync();
            texts.Add(updates.ToChatResponse().Text);
        }
        Assert.All(texts, t => Assert.Equal(reference.Text, t));
        // Four equal transcripts collapse into one conversation.
        Assert.Equal(1, client.Conversations.Count);

        // Concurrent turns on one named conversation are serialised, not failed.
        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Start.")], Greedy("named"));
        var parallel = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => Task.Run(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, $"Turn {i}.")], Greedy("named")))));
        Assert.All(parallel, r => Assert.Equal("named", r.ConversationId));
        Assert.Equal(4, client.Conversations.Snapshot().Single(s => s.ConversationId == "named").Conversation!.Turns);
    }

    [Fact]
    public async Task Session_loads_reach_the_engine_counters_and_the_hosting_meter()
    {
        using var host = TestHosts.Create(null, b => b.AddChatClient(o => o.SystemPrompt = System));
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var loads = new ConcurrentQueue<(long Value, string? Source)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "PromptCache" && ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name == "promptcache.session.loads")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, v, tags, _) =>
        {
            string? source = null;
            foreach (var tag in tags) if (tag.Key == "source") source = tag.Value as string;
            loads.Enqueue((v, source));
        });
        listener.Start();
        await host.StartAsync();

        var client = host.Services.GetRequiredService<IChatClient>();
        var history = new List<ChatMessage> { new(ChatRole.User, "Hello!") };
        for (int turn = 0; turn < 3; turn++)
        {
            history.AddMessages(await client.GetResponseAsync(history, Greedy()));
            history.Add(new ChatMessage(ChatRole.User, $"Next {turn}."));
        }
        var engine = await host.Services.GetRequiredService<HostedPromptCache>().GetEngineAsync();
        var counters = engine.GetCounters();
        Assert.Equal(3, counters.ConversationTurns);
        Assert.Equal(2, counters.SessionMemoryLoads);
        Assert.Equal(0, counters.SessionDiskLoads + counters.SessionRecomputes + counters.SessionRecomputedTokens);
        Assert.Equal(2, loads.Where(l => l.Source == "memory").Sum(l => l.Value));
        Assert.DoesNotContain(loads, l => l.Source != "memory");
        await host.StopAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_session_that_left_memory_is_reloaded_from_disk_or_recomputed_and_counted(bool disk)
    {
        string? directory = disk ? TestHosts.TempDirectory() : null;
        // A memory tier too small for any session: without a disk tier the store rejects it (recomputed next turn);
        // with one it goes straight to disk (loaded back).
        using var host = TestHosts.Create(o =>
        {
            o.MemoryBudgetBytes = 1024;
            o.DiskCache = directory;
        });
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var loads = new ConcurrentQueue<(string Instrument, long Value, string? Source)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "PromptCache" && ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name.StartsWith("promptcache.session.", StringComparison.Ordinal))
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) =>
        {
            string? source = null;
            foreach (var tag in tags) if (tag.Key == "source") source = tag.Value as string;
            loads.Enqueue((i.Name, v, source));
        });
        listener.Start();
        var cache = host.Services.GetRequiredService<HostedPromptCache>();
        var engine = await cache.GetEngineAsync();
        using var client = Client(cache);
        using var plain = Client(cache, maxConversations: 0);

        var first = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hello!")], Greedy());
        ChatMessage[] history = [new(ChatRole.User, "Hello!"), new(ChatRole.Assistant, first.Text), new(ChatRole.User, "More.")];
        var second = await client.GetResponseAsync(history, Greedy());
        var reference = await plain.GetResponseAsync(history, Greedy());
        Assert.Equal(reference.Text, second.Text);
        Assert.Equal(reference.Usage!.InputTokenCount, second.Usage!.InputTokenCount);

        var conversation = client.Conversations.Snapshot().Single().Conversation!;
        var counters = engine.GetCounters();
        Assert.Equal(2, counters.ConversationTurns);
        if (disk)
        {
            Assert.Equal(Engine.Conversations.SessionSource.Disk, conversation.LastTurn!.Source);
            Assert.Equal(1, counters.SessionDiskLoads);
            Assert.Equal(0, counters.SessionRecomputes);
            Assert.True(second.Usage.CachedInputTokenCount > reference.Usage.CachedInputTokenCount);
            Assert.Equal([("promptcache.session.loads", 1L, "disk")], loads);
        }
        else
        {
            int recomputed = conversation.LastTurn!.RecomputedTokens;
            Assert.Equal(Engine.Conversations.SessionSource.Recomputed, conversation.LastTurn.Source);
            Assert.True(recomputed > 0);
            Assert.Equal(1, counters.SessionRecomputes);
            Assert.Equal(recomputed, counters.SessionRecomputedTokens);
            Assert.Equal(0, counters.SessionMemoryLoads + counters.SessionDiskLoads);
            // Recomputed history is computed, not cached.
            Assert.Equal(reference.Usage.CachedInputTokenCount, second.Usage.CachedInputTokenCount);
            Assert.Contains(("promptcache.session.loads", 1L, "recomputed"), loads);
            Assert.Contains(("promptcache.session.recomputed.tokens", (long)recomputed, (string?)null), loads);
        }
    }
}
