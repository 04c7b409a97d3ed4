using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using PromptCache.Engine.Synthetic;
using Xunit.Abstractions;

namespace PromptCache.Hosting.Tests;

/// <summary>
/// Turn-N (default 5) time to first text with conversation reuse vs a full recompute of the chat, interleaved A/B in one process.
/// Runs on the tiny model by default (checking only token counts); for timings on a real shape:
/// <c>PROMPTCACHE_CHAT_TTFT_SHAPE=llama-42m PROMPTCACHE_CHAT_TTFT_TURNS=10 dotnet test tests/PromptCache.Hosting.Tests -c Release --filter "FullyQualifiedName~ChatClientReuseTtftMeasurement" --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class ChatClientReuseTtftMeasurement(ITestOutputHelper output)
{
    [Fact]
    public async Task Turn_N_with_and_without_reuse()
    {
        string? name = Environment.GetEnvironmentVariable("PROMPTCACHE_CHAT_TTFT_SHAPE");
        var shape = name switch
        {
            null or "" or "tiny" => SyntheticShape.Tiny,
            "llama-42m" => SyntheticShape.Llama42M,
            "llama-110m" => SyntheticShape.Llama110M,
            _ => throw new ArgumentException($"PROMPTCACHE_CHAT_TTFT_SHAPE: unknown shape '{name}' (tiny, llama-42m, llama-110m)."),
        };
        int turns = int.TryParse(Environment.GetEnvironmentVariable("PROMPTCACHE_CHAT_TTFT_TURNS"), out int t) && t >= 2 ? t : 5;
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddPromptCache(o =>
        {
            TestHosts.Tiny(o);
            o.SyntheticShape = shape;
            o.MemoryBudgetBytes = 1L << 30;
        });
        await using var services = collection.BuildServiceProvider();
        var cache = services.GetRequiredService<HostedPromptCache>();
        await cache.GetEngineAsync();
        var options = new ChatOptions { MaxOutputTokens = 24 };
        int rounds = shape == SyntheticShape.Tiny ? 1 : 3;
        var reused = new List<double>();
        var plainTimes = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            // A fresh pair of clients per round: the reuse client builds the earlier turns, then both answer the last.
            using var reuse = new PromptCacheChatClient(cache, new() { SystemPrompt = "Be brief.", SchemaName = "ttft-chat" });
            using var plain = new PromptCacheChatClient(cache, new() { SystemPrompt = "Be brief.", SchemaName = "ttft-chat", MaxConversations = 0 });
            var history = new List<ChatMessage>();
            for (int turn = 1; turn < turns; turn++)
            {
                history.Add(new ChatMessage(ChatRole.User, Message(round, turn)));
                history.AddMessages(await reuse.GetResponseAsync(history, options));
            }
            history.Add(new ChatMessage(ChatRole.User, Message(round, turns)));
            // Alternate which goes first, so neither always runs on a warmer machine.
            var (a, b) = round % 2 == 0 ? (reuse, plain) : (plain, reuse);
            var first = await TimeAsync(a, history, options);
            var second = await TimeAsync(b, history, options);
            var (withReuse, without) = round % 2 == 0 ? (first, second) : (second, first);
            output.WriteLine($"round {round}: turn {turns} prompt {without.Input} tokens; with reuse {withReuse.Ms:F1} ms ({withReuse.Computed} computed), without {without.Ms:F1} ms ({without.Computed} computed)");
            Assert.Equal(without.Input, withReuse.Input);
            Assert.True(withReuse.Computed < without.Computed / 2, $"with reuse {withReuse.Computed} tokens computed, without {without.Computed}");
            reused.Add(withReuse.Ms);
            plainTimes.Add(without.Ms);
        }
        double med(List<double> x) => x.Order().ElementAt(x.Count / 2);
        output.WriteLine($"{shape.Name}: turn-{turns} time to first text, median of {rounds}: with reuse {med(reused):F1} ms, without {med(plainTimes):F1} ms, ratio {med(plainTimes) / med(reused):F2}x");
    }

    private static string Message(int round, int turn) =>
        $"Round {round}, turn {turn}: please tell me, in a few short sentences, what you think about the weather, the sea and the mountains today.";

    private static async Task<(double Ms, long Input, long Computed)> TimeAsync(IChatClient client, List<ChatMessage> history, ChatOptions options)
    {
        var clock = Stopwatch.StartNew();
        double firstText = -1;
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(history, options))
        {
            if (firstText < 0 && update.Text.Length > 0) firstText = clock.Elapsed.TotalMilliseconds;
            updates.Add(update);
        }
        var usage = updates.ToChatResponse().Usage!;
        if (firstText < 0) firstText = clock.Elapsed.TotalMilliseconds;
        return (firstText, usage.InputTokenCount!.Value, usage.InputTokenCount.Value - usage.CachedInputTokenCount!.Value);
    }
}
