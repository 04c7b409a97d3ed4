using System.CommandLine;
using PromptCache.Runtime.Generation;
using PromptCache.Runtime.Inference;
using PromptCache.Tokenizers;

namespace PromptCache.Cli.Commands;

/// <summary>
/// `promptcache generate --model PATH --prompt TEXT`: prints only the continuation on stdout,
/// streamed as it is generated; timing goes to stderr with --stats.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "A Hugging Face model folder or a .gguf file.", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "The prompt text (BOS is added where the model's tokenizer adds one).", Required = true };
        var maxTokens = new Option<int>("--max-tokens") { Description = "The most tokens to generate.", DefaultValueFactory = _ => 128 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 is greedy.", DefaultValueFactory = _ => 0f };
        var seed = new Option<int?>("--seed") { Description = "Random seed for sampling." };
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens (0: off).", DefaultValueFactory = _ => 0 };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling threshold (1: off).", DefaultValueFactory = _ => 1f };
        var minP = new Option<float>("--min-p") { Description = "Drop tokens below min_p × the top probability (0: off).", DefaultValueFactory = _ => 0f };
        var repeat = new Option<float>("--repeat-penalty") { Description = "Repetition penalty (1: off).", DefaultValueFactory = _ => 1f };
        var stop = new Option<string[]>("--stop") { Description = "A stop string (repeatable).", AllowMultipleArgumentsPerToken = false };
        var stats = new Option<bool>("--stats") { Description = "Print TTFT and tokens/s to stderr." };
        var backend = BackendOption.Create();
        var cudaSettings = BackendOption.CreateCudaSettings();
        var command = new Command("generate", "Generate a continuation of a prompt with a local model.");
        foreach (var o in new Option[] { model, prompt, maxTokens, temperature, seed, topK, topP, minP, repeat, stop, stats, backend, cudaSettings }) command.Options.Add(o);
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var options = new GenerationOptions
            {
                MaxTokens = r.GetValue(maxTokens),
                Temperature = r.GetValue(temperature),
                Seed = r.GetValue(seed),
                TopK = r.GetValue(topK),
                TopP = r.GetValue(topP),
                MinP = r.GetValue(minP),
                RepetitionPenalty = r.GetValue(repeat),
                StopStrings = r.GetValue(stop) ?? [],
            };
            return await RunAsync(r.GetValue(model)!, r.GetValue(prompt)!, options, r.GetValue(stats), r.GetValue(backend)!, r.GetValue(cudaSettings), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(string modelPath, string prompt, GenerationOptions options, bool printStats, string backendName, string[]? cudaSettings,
        CancellationToken ct)
    {
        try
        {
            var backend = BackendOption.Open(backendName, cudaSettings);
            using var ownedBackend = backend as IDisposable;
            using var llm = LlamaModel.Load(modelPath, backend);
            var tokenizer = Tokenizer.Load(modelPath);
            var ids = tokenizer.EncodeToIds(prompt, addSpecialTokens: true);
            if (ids.Count == 0) throw new ArgumentException("The prompt encodes to no tokens.");
            var generator = new TextGenerator(llm, tokenizer);
            var stats = new GenerationStats();
            var stdout = Console.Out;
            await foreach (var token in generator.GenerateAsync(ids, options, stats, ct))
            {
                stdout.Write(token.Text);
                stdout.Flush();
            }
            stdout.WriteLine();
            if (printStats) Console.Error.WriteLine(stats);
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or ArgumentException or TokenizerFormatException or InvalidOperationException)
        {
            Console.Error.WriteLine($"promptcache generate: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("promptcache generate: cancelled.");
            return 130;
        }
    }
}
