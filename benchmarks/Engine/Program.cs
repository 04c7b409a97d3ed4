// Engine benchmarks (BENCHMARKS.md rules: ratios inside one run, medians, floors).
//   TTFT (cached vs uncached) is the CLI's: dotnet run --project runtime/PromptCache.Cli -c Release -- bench ttft [--shape 110m|1b|42m|tiny] [--tokens 1024,2048,4096] [--reps 5] [--uncached-reps 3] [--kv f32|f16|bf16]
//   dotnet run --project benchmarks/Engine -c Release -- conversation [--shape 110m|42m|tiny] [--tokens 1024] [--turns 10] [--answer 16]
//   dotnet run --project benchmarks/Engine -c Release -- fidelity --model ../shared/models/stories260K/stories260K.gguf [--prompts 60] [--tokens 16]
using System.Globalization;
using PromptCache.Benchmarks.Engine;
using PromptCache.Engine.Synthetic;

string mode = args.Length > 0 ? args[0] : "";
string? Get(string name) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }
int GetInt(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

switch (mode)
{
    case "ttft":
        Console.Error.WriteLine("The TTFT table is the CLI's benchmark now: dotnet run --project runtime/PromptCache.Cli -c Release -- bench ttft [--shape 110m|1b] [--tokens 1024,2048,4096] [--reps 5] [--uncached-reps 3] [--kv f32|f16|bf16]");
        return 2;
    case "conversation":
        var convShape = Get("--shape") == "42m" ? SyntheticShape.Llama42M : Get("--shape") == "tiny" ? SyntheticShape.Tiny : SyntheticShape.Llama110M;
        int convTokens = GetInt("--tokens", 1024), answer = GetInt("--answer", 16);
        ConversationBenchmark.Header(convShape, convTokens, answer);
        await ConversationBenchmark.RunAsync(convShape, convTokens, GetInt("--turns", 10), answer);
        return 0;
    case "fidelity":
        string model = Get("--model") ?? Path.Combine("..", "shared", "models", "stories260K", "stories260K.gguf");
        await FidelityBenchmark.RunAsync(model, GetInt("--prompts", 60), GetInt("--tokens", 16));
        return 0;
    default:
        Console.Error.WriteLine("Usage: conversation [...] | fidelity [...] (see the comment at the top of Program.cs; TTFT is `promptcache bench ttft`)");
        return 2;
}
