using System.Globalization;
using PromptCache.Engine;
using PromptCache.Engine.Synthetic;
using PromptCache.Pml.Requests;
using PromptCache.Runtime.Generation;

namespace PromptCache.Benchmarks.Engine;

/// <summary>
/// Turn-N TTFT of a conversation over a cached schema: with session reuse (the conversation keeps its
/// K/V, turn N computes only its new tokens) vs without (each turn is a new request whose suffix
/// holds the whole history; the schema's modules are still cached).
/// </summary>
internal static class ConversationBenchmark
{
    public static async Task RunAsync(SyntheticShape shape, int cachedTokens, int turns, int answerTokens)
    {
        await using var engine = PromptCacheEngine.CreateSynthetic(shape, 1234);
        await engine.WarmAsync(new PromptSchemaSource(BenchSchema.Pml(cachedTokens), $"bench{cachedTokens}.pml"));
        var options = new GenerationOptions { MaxTokens = answerTokens, IgnoreEos = true };
        var first = BenchSchema.Request(cachedTokens, 0);
        static string Message(int turn) => $"Turn {turn}: and what happened after that, exactly?";

        using var conversation = engine.StartConversation(first);
        var history = new List<PromptSuffixPart>(first.Suffix);
        var reuse = new List<double>();
        var fresh = new List<double>();
        for (int turn = 1; turn <= turns; turn++)
        {
            if (turn > 1)
            {
                conversation.Add(PromptSuffixPart.User(Message(turn)));
                history.Add(PromptSuffixPart.User(Message(turn)));
            }
            var withReuse = await conversation.RunAsync(options);
            reuse.Add(withReuse.TimeToFirstToken.TotalMilliseconds);
            var request = new PromptRequest(first.SchemaName, "", first.Modules, history);
            var without = await engine.RunAsync(request, new GenerationOptions { MaxTokens = 1, IgnoreEos = true });
            fresh.Add(without.TimeToFirstToken.TotalMilliseconds);
            history.Add(PromptSuffixPart.Assistant(withReuse.Text));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {turn} | {withReuse.Stats.PrefillTokens} | {withReuse.TimeToFirstToken.TotalMilliseconds:F1} ms | {without.Stats.PrefillTokens} | {without.TimeToFirstToken.TotalMilliseconds:F1} ms | {without.TimeToFirstToken.TotalMilliseconds / withReuse.TimeToFirstToken.TotalMilliseconds:F1}× |"));
        }
    }

    public static void Header(SyntheticShape shape, int cachedTokens, int answerTokens)
    {
        Console.WriteLine($"Conversation TTFT: shape {shape.Name}, schema of {cachedTokens} cached tokens, {answerTokens}-token answers, user turns of ~40 tokens.");
        Console.WriteLine("| turn | new tokens (session) | TTFT with session reuse | new tokens (no reuse) | TTFT without reuse | ratio |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
    }
}
