// Engine benchmarks (BENCHMARKS.md rules: ratios inside one run, medians, floors).
//   dotnet run --project benchmarks/Engine -c Release -- ttft [--shape 110m|1b|42m|tiny] [--tokens 1024,2048,4096] [--reps 5] [--uncached-reps 3] [--kv f32|f16|bf16]
//   dotnet run --project benchmarks/Engine -c Release -- conversation [--shape 110m|42m|tiny] [--tokens 1024] [--turns 10] [--answer 16]
//   dotnet run --project benchmarks/Engine -c Release -- fidelity --model ../shared/models/stories260K/stories260K.gguf [--prompts 60] [--tokens 16]
using System.Globalization;
using PromptCache.Benchmarks.Engine;
using PromptCache.Engine.Synthetic;
using PromptCache.Runtime.Inference;

string mode = args.Length > 0 ? args[0] : "ttft";
string? Get(string name) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }
int GetInt(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

switch (mode)
{
    case "ttft":
        var shape = (Get("--shape") ?? "110m") switch
        {
            "tiny" => SyntheticShape.Tiny,
            "42m" => SyntheticShape.Llama42M,
            "110m" => SyntheticShape.Llama110M,
            "1b" => SyntheticShape.TinyLlama1B,
            var other => throw new ArgumentException($"Unknown shape '{other}' (tiny, 42m, 110m, 1b)."),
        };
        var sizes = (Get("--tokens") ?? "1024,2048,4096").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
        var kv = (Get("--kv") ?? "f32") switch
        {
            "f32" => KvDataType.F32,
            "f16" => KvDataType.F16,
            "bf16" => KvDataType.BF16,
            var other => throw new ArgumentException($"Unknown K/V type '{other}' (f32, f16, bf16)."),
        };
        await TtftBenchmark.RunAsync(shape, sizes, GetInt("--reps", 5), GetInt("--uncached-reps", 3), kv);
        return 0;
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
        Console.Error.WriteLine("Usage: ttft [...] | fidelity [...] (see the comment at the top of Program.cs)");
        return 2;
}
