using System.Globalization;
using PromptCache.Engine;
using PromptCache.Engine.Conversations;
using PromptCache.Engine.Synthetic;
using PromptCache.Pml.Requests;
using PromptCache.Runtime.Generation;

namespace PromptCache.Benchmarks.Engine;

/// <summary>
/// Turn-N TTFT of a conversation over a cached schema, every variant interleaved turn by turn in one process:
/// <list type="bullet">
/// <item>session reuse with the session in the store's memory tier (turn N computes only its new tokens);</item>
/// <item>session reuse with the session on disk (a second engine whose memory tier holds nothing, so every save
/// goes to disk and every turn loads it back, layer by layer, without recomputation);</item>
/// <item>no reuse (each turn is a new request whose suffix holds the whole history; the schema's modules are
/// still cached);</item>
/// <item>a conversation with a smaller window (<see cref="ConversationOptions.MaxPositions"/>) and
/// <see cref="ConversationOverflow.TruncateOldestTurns"/>, against recomputing the kept turns as a new request
/// (what a cache without pre-RoPE keys would have to do).</item>
/// </list>
/// </summary>
internal static class ConversationBenchmark
{
    public static async Task RunAsync(SyntheticShape shape, int cachedTokens, int turns, int answerTokens)
    {
        string disk = Path.Combine(Path.GetTempPath(), "promptcache-conversation-bench", Guid.NewGuid().ToString("N"));
        var source = new PromptSchemaSource(BenchSchema.Pml(cachedTokens), $"bench{cachedTokens}.pml");
        await using var engine = PromptCacheEngine.CreateSynthetic(shape, 1234);
        // A 1-byte memory tier: every put is stored on disk only, so each turn reads the session back from a file.
        await using var spilling = PromptCacheEngine.CreateSynthetic(shape, 1234, new PromptCacheEngineOptions { DiskCacheDirectory = disk, MemoryBudgetBytes = 1 });
        try
        {
            await engine.WarmAsync(source);
            await spilling.WarmAsync(source);
            var options = new GenerationOptions { MaxTokens = answerTokens, IgnoreEos = true };
            var first = BenchSchema.Request(cachedTokens, 0);
            static string Message(int turn) => $"Turn {turn}: and what happened after that, exactly?";

            // Roughly 70 new tokens plus the answer per turn: the window holds about half of the last turn's history.
            int schemaEnd = engine.GetSchema(first.SchemaName).TotalLength;
            int window = schemaEnd + BenchSchema.SuffixTokens + answerTokens + turns / 2 * (70 + answerTokens);
            Console.WriteLine($"Truncating conversation: window {window} positions (schema {schemaEnd}).");
            Console.WriteLine();

            using var memory = engine.StartConversation(first, ConversationOptions.Default);
            using var spilled = spilling.StartConversation(first, ConversationOptions.Default);
            using var truncating = engine.StartConversation(first, new ConversationOptions { Overflow = ConversationOverflow.TruncateOldestTurns, MaxPositions = window });
            var history = new List<PromptSuffixPart>(first.Suffix);
            var reuseRows = new List<string>();
            var truncationRows = new List<string>();
            for (int turn = 1; turn <= turns; turn++)
            {
                if (turn > 1)
                {
                    var message = PromptSuffixPart.User(Message(turn));
                    memory.Add(message);
                    spilled.Add(message);
                    truncating.Add(message);
                    history.Add(message);
                }
                var inMemory = await memory.RunAsync(options);
                var onDisk = await spilled.RunAsync(options);
                if (onDisk.Text != inMemory.Text) throw new InvalidOperationException($"Turn {turn}: the disk-loaded session answered differently from the memory one.");
                var without = await engine.RunAsync(new PromptRequest(first.SchemaName, "", first.Modules, history), new GenerationOptions { MaxTokens = 1, IgnoreEos = true });
                var cut = await truncating.RunAsync(options);
                var cutInfo = truncating.LastTurn!;
                // Recompute baseline: the turns the truncating conversation still holds, as one new request.
                int dropped = truncating.Counters.DroppedTurns;
                var kept = history.Skip(2 * dropped).ToList();
                var recompute = await engine.RunAsync(new PromptRequest(first.SchemaName, "", first.Modules, kept), new GenerationOptions { MaxTokens = 1, IgnoreEos = true });
                history.Add(PromptSuffixPart.Assistant(inMemory.Text));

                var m = memory.LastTurn!;
                var d = spilled.LastTurn!;
                reuseRows.Add(Row(
                    $"| {turn} | {inMemory.Stats.PrefillTokens} | {m.HistoryTokens} | {Ms(inMemory.TimeToFirstToken)} | {Ms(m.LoadTime)} | {Ms(onDisk.TimeToFirstToken)} | {Ms(d.LoadTime)} | {Ms(m.SaveTime)} / {Ms(d.SaveTime)} | {d.Source} | {without.Stats.PrefillTokens} | {Ms(without.TimeToFirstToken)} | {Ratio(without.TimeToFirstToken, inMemory.TimeToFirstToken)} |"));
                truncationRows.Add(Row(
                    $"| {turn} | {cutInfo.DroppedTurns} ({cutInfo.DroppedTokens}) | {dropped} | {cutInfo.HistoryTokens} | {cut.Stats.PrefillTokens} | {Ms(cut.TimeToFirstToken)} | {Ms(cutInfo.LoadTime)} | {recompute.Stats.PrefillTokens} | {Ms(recompute.TimeToFirstToken)} | {Ratio(recompute.TimeToFirstToken, cut.TimeToFirstToken)} |"));
                Console.Error.WriteLine($"turn {turn} done");
            }

            Console.WriteLine("Session reuse: store memory tier vs disk tier vs no reuse.");
            Console.WriteLine("| turn | new tokens | history tokens | TTFT, session in memory | of which load+rotate | TTFT, session on disk | of which load+rotate | save after the answer (memory / disk) | source | tokens without reuse | TTFT without reuse | ratio no reuse / memory |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|");
            reuseRows.ForEach(Console.WriteLine);
            Console.WriteLine();
            Console.WriteLine($"Truncation (TruncateOldestTurns, window {window}) vs recomputing the kept turns as a new request.");
            Console.WriteLine("| turn | turns dropped now (positions) | dropped so far | history kept | new tokens | TTFT truncating | of which load+rotate | tokens recomputed | TTFT recompute | ratio recompute / truncating |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            truncationRows.ForEach(Console.WriteLine);
            var store = spilling.Store.GetCounters();
            Console.WriteLine();
            Console.WriteLine($"Disk engine store: disk hits {store.DiskHits}, memory hits {store.MemoryHits}, bytes read {store.BytesRead / 1e6:F1} MB, written {store.BytesWritten / 1e6:F1} MB; disk conversation: {spilled.Counters.DiskLoads} disk loads, {spilled.Counters.RecomputedTokens} tokens recomputed.");
        }
        finally
        {
            try
            {
                Directory.Delete(disk, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }

    private static string Row(FormattableString row) => row.ToString(CultureInfo.InvariantCulture);

    private static string Ms(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:F1} ms");

    private static string Ratio(TimeSpan a, TimeSpan b) => string.Create(CultureInfo.InvariantCulture, $"{a.TotalMilliseconds / b.TotalMilliseconds:F1}×");

    public static void Header(SyntheticShape shape, int cachedTokens, int answerTokens)
    {
        Console.WriteLine($"Conversation TTFT: shape {shape.Name}, schema of {cachedTokens} cached tokens, {answerTokens}-token answers, user turns of ~40 tokens; load average {LoadAverage()}.");
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";
}
