using System.CommandLine;
using System.Globalization;
using PromptCache.Cli.Commands.Bench;
using PromptCache.Engine.Synthetic;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cli.Commands;

/// <summary>
/// `promptcache bench ttft`: cached vs uncached time to first token on a synthetic Llama shape, with
/// the floor, warm-up from compute vs from disk, and K/V bytes per token: the engine's benchmark table.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var shape = new Option<string>("--shape") { Description = "Synthetic model shape: tiny, 42m, 110m (f32); 1b (TinyLlama-1.1B), 7b (Llama-2-7B) or 8b (Llama-3-8B), bf16 with a byte vocabulary.", DefaultValueFactory = _ => "110m" };
        var tokens = new Option<string>("--tokens") { Description = "Cached module tokens per schema, comma-separated.", DefaultValueFactory = _ => "1024,2048,4096" };
        var reps = new Option<int>("--reps") { Description = "Cached runs per size (median).", DefaultValueFactory = _ => 5 };
        var uncachedReps = new Option<int>("--uncached-reps") { Description = "Uncached runs per size (median); 0 skips them.", DefaultValueFactory = _ => 3 };
        var kv = new Option<string>("--kv") { Description = "K/V storage: f32, f16 or bf16.", DefaultValueFactory = _ => "f32" };
        var suffix = new Option<int>("--suffix") { Description = "Suffix tokens of each request (after the two 8-token arguments).", DefaultValueFactory = _ => BenchSchema.SuffixTokens };
        var rehearse = new Option<int>("--rehearse") { Description = "Rehearsal calls of the schema's default request before the timed ones (PromptCacheEngine.RehearseAsync); 0 runs none.", DefaultValueFactory = _ => 0 };
        var backend = BackendOption.Create();
        var cudaSettings = BackendOption.CreateCudaSettings();
        var ttft = new Command("ttft", "Cached vs uncached TTFT: four cached modules, two 8-token arguments and a suffix (32 tokens unless --suffix).");
        foreach (var o in new Option[] { shape, tokens, reps, uncachedReps, kv, suffix, rehearse, backend, cudaSettings }) ttft.Options.Add(o);
        ttft.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            try
            {
                var sizes = r.GetValue(tokens)!.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
                var (chosenShape, kvType) = (Shape(r.GetValue(shape)!), KvType(r.GetValue(kv)!));
                var (rehearsals, suffixTokens) = Counts(r.GetValue(rehearse), r.GetValue(suffix));
                // Arguments first: opening a GPU backend takes seconds.
                var compute = BackendOption.Open(r.GetValue(backend)!, r.GetValue(cudaSettings));
                using var owned = compute as IDisposable;
                await TtftBenchmark.RunAsync(chosenShape, sizes, r.GetValue(reps), r.GetValue(uncachedReps), kvType, compute, rehearsals, suffixTokens);
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                Console.Error.WriteLine($"promptcache bench ttft: {e.Message}");
                return 2;
            }
        });
        var command = new Command("bench", "Benchmarks that print tables (never timed tests).");
        command.Subcommands.Add(ttft);
        return command;
    }

    internal static (int Rehearsals, int SuffixTokens) Counts(int rehearsals, int suffixTokens)
    {
        if (rehearsals < 0) throw new ArgumentException($"--rehearse must be 0 or more (got {rehearsals}).");
        if (suffixTokens < 1) throw new ArgumentException($"--suffix must be at least 1 (got {suffixTokens}).");
        return (rehearsals, suffixTokens);
    }

    internal static SyntheticShape Shape(string name) => name switch
    {
        "tiny" => SyntheticShape.Tiny,
        "42m" => SyntheticShape.Llama42M,
        "110m" => SyntheticShape.Llama110M,
        "1b" => SyntheticShape.TinyLlama1B,
        "7b" => SyntheticShape.Llama2_7B,
        "8b" => SyntheticShape.Llama3_8B,
        _ => throw new ArgumentException($"Unknown shape '{name}' (tiny, 42m, 110m, 1b, 7b, 8b)."),
    };

    internal static KvDataType KvType(string name) => name switch
    {
        "f32" => KvDataType.F32,
        "f16" => KvDataType.F16,
        "bf16" => KvDataType.BF16,
        _ => throw new ArgumentException($"Unknown K/V type '{name}' (f32, f16, bf16)."),
    };
}
