using System.CommandLine;
using System.Globalization;
using PromptCache.Engine;
using PromptCache.Runtime.Generation;
using PromptCache.Tokenizers;

namespace PromptCache.Cli.Commands;

/// <summary>
/// `promptcache run --model PATH --schema FILE.pml --prompt FILE.pml`: warms the schema's modules,
/// runs the prompt against them, prints the continuation on stdout and TTFT on stderr. With
/// --no-cache the same prompt is computed by full prefill instead (for comparison).
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "A Hugging Face model folder or a .gguf file.", Required = true };
        var schema = new Option<string>("--schema") { Description = "The schema (.pml); src files resolve relative to it.", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "A <prompt schema=\"...\"> document (.pml).", Required = true };
        var maxTokens = new Option<int>("--max-tokens") { Description = "The most tokens to generate.", DefaultValueFactory = _ => 128 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 is greedy.", DefaultValueFactory = _ => 0f };
        var seed = new Option<int?>("--seed") { Description = "Random seed for sampling." };
        var noCache = new Option<bool>("--no-cache") { Description = "Compute the whole prompt by full prefill instead of reusing module K/V." };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Disk tier for module K/V: a later run warms from it." };
        var chatFormat = new Option<string?>("--chat-format") { Description = "Role markers for role tags: chatml, llama2, llama3 or mistral (default: from the tokenizer's chat template)." };
        var backend = BackendOption.Create();
        var cudaSettings = BackendOption.CreateCudaSettings();
        var command = new Command("run", "Run a PML prompt against its schema with Prompt Cache: cached modules, new tokens only.");
        foreach (var o in new Option[] { model, schema, prompt, maxTokens, temperature, seed, noCache, cacheDir, chatFormat, backend, cudaSettings }) command.Options.Add(o);
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var generation = new GenerationOptions { MaxTokens = r.GetValue(maxTokens), Temperature = r.GetValue(temperature), Seed = r.GetValue(seed) };
            var engineOptions = new PromptCacheEngineOptions
            {
                DiskCacheDirectory = r.GetValue(cacheDir),
                ChatFormat = r.GetValue(chatFormat),
                Log = message => Console.Error.WriteLine("promptcache run: " + message),
            };
            return await RunAsync(r.GetValue(model)!, r.GetValue(schema)!, r.GetValue(prompt)!, generation, engineOptions, r.GetValue(noCache), r.GetValue(backend)!, r.GetValue(cudaSettings), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(string modelPath, string schemaPath, string promptPath, GenerationOptions generation,
        PromptCacheEngineOptions engineOptions, bool noCache, string backendName, string[]? cudaSettings, CancellationToken ct)
    {
        try
        {
            if (!File.Exists(promptPath)) throw new FileNotFoundException($"Prompt file '{promptPath}' does not exist.", promptPath);
            var backend = BackendOption.Open(backendName, cudaSettings);
            using var ownedBackend = backend as IDisposable;
            await using var engine = PromptCacheEngine.Load(modelPath, engineOptions, backend);
            await engine.WarmAsync([PromptSchemaSource.FromFile(schemaPath)], null, ct);
            var request = engine.ParsePrompt(File.ReadAllText(promptPath), promptPath);
            var stdout = Console.Out;
            PromptRunStats stats;
            if (noCache)
            {
                var result = await engine.RunUncachedAsync(request, generation, ct);
                stdout.Write(result.Text);
                stats = result.Stats;
            }
            else
            {
                stats = new PromptRunStats();
                await foreach (string piece in engine.StreamAsync(request, generation, stats, ct))
                {
                    stdout.Write(piece);
                    stdout.Flush();
                }
            }
            stdout.WriteLine();
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"TTFT {stats.TimeToFirstToken.TotalMilliseconds:F1} ms ({(stats.UsedCache ? "cached" : "no cache")}; planning {stats.PlanningTime.TotalMilliseconds:F1}, forward {stats.PrefillTime.TotalMilliseconds:F1}): {stats.PrefillTokens} tokens computed, {stats.CachedTokens} reused from {stats.ModuleHits} cached segments; {stats.GeneratedTokens} generated in {stats.TotalTime.TotalMilliseconds:F0} ms"));
            return 0;
        }
        catch (Exception e) when (e is PromptCacheException or IOException or InvalidDataException or NotSupportedException or ArgumentException or TokenizerFormatException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"promptcache run: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("promptcache run: cancelled.");
            return 130;
        }
    }
}
