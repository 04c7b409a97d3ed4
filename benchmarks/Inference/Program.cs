using System.Diagnostics;
using System.Globalization;
using PromptCache.Benchmarks.Inference;
using PromptCache.Runtime.Inference;

// Prefill, decode and cached-suffix throughput of the CPU runtime on random-weight GGUFs of real shapes.
// Options (all optional):
//   --models llama-110m,llama-1b   --lengths 128,512,2048   --reps 5   --decode 16   --suffix 32
//   --vocab 512 (llama.cpp peer files use 512; TinyLlama's real vocab is 32000)   --dtype f16|bf16|f32 (1b)
//   --dir /tmp/promptcache-bench (where the GGUFs are written; llama.cpp can load the same files)
//   --tokenizer X.gguf (tokenizer.* metadata to embed; default ../shared/models/stories260K/stories260K.gguf)
//   --kv f16|bf16|f32 (K/V storage, default f16 like llama.cpp)   --profile (time per backend op, to stderr)
if (args.Length > 0 && args[0] == "--attention-micro")
{
    AttentionMicro.Run(512, 12, 12, 64, KvDataType.F32);
    AttentionMicro.Run(512, 32, 4, 64, KvDataType.F32);
    AttentionMicro.Run(512, 32, 4, 64, KvDataType.F16);
    foreach (var type in new[] { KvDataType.F32, KvDataType.F16 })
    {
        AttentionMicro.Decode(512, 12, 12, 64, type);
        AttentionMicro.Decode(2048, 32, 4, 64, type);
    }
    return;
}
if (args.Length > 0 && args[0] == "--decode-micro")
{
    // The issue-4 decode shapes: 110M (MHA 12/12, 12 layers) and TinyLlama (GQA 32/4, 22 layers), f16 K/V.
    foreach (int n in new[] { 512, 2048 })
    {
        AttentionMicro.Decode(n, 12, 12, 64, KvDataType.F16, 12);
        AttentionMicro.Decode(n, 32, 4, 64, KvDataType.F16, 22);
    }
    return;
}
var opts = Options.Parse(args);
Console.WriteLine($"# PromptCache CPU inference benchmark — {Environment.ProcessorCount} cores, {RuntimeInfo()}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"# reps {opts.Reps} (median), decode {opts.Decode} tokens, cached suffix {opts.Suffix} tokens, K/V {opts.Kv}, vocab {opts.Vocab}");
Console.WriteLine();
Console.WriteLine("| model | dtype | prompt | prefill ms | prefill tok/s | prefill GFLOP/s | decode ms/tok | decode tok/s | cached-suffix TTFT ms | weights MiB | K/V MiB | peak RSS MiB | RSS / (weights+K/V) | RSS before load MiB | decode weight GB/s | read ceiling GB/s | decode / floor |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");

foreach (string name in opts.Models)
{
    var shape = name switch
    {
        "llama-110m" => ModelShape.Llama110M(opts.Vocab),
        "llama-1b" => ModelShape.TinyLlama(opts.Vocab, opts.DType),
        _ => throw new ArgumentException($"unknown model '{name}' (llama-110m, llama-1b)"),
    };
    var write = Stopwatch.StartNew();
    string? tokenizer = opts.Tokenizer ?? FindStories();
    if (tokenizer is not null && opts.Vocab != 512) tokenizer = null; // stories260K's vocabulary has 512 tokens
    string path = RandomGguf.EnsureWritten(shape, opts.Directory, tokenizer);
    Console.Error.WriteLine($"{shape.Name}: {path} ready in {write.Elapsed.TotalSeconds:F1} s");
    PeakMemory.Reset();
    long baseline = Environment.WorkingSet; // the .NET runtime itself, before any weights are mapped
    var profiler = opts.Profile ? new ProfilingBackend(PromptCache.Runtime.Backends.Cpu.CpuBackend.Instance) : null;
    using var model = LlamaModel.Load(path, profiler);
    var rng = new Random(42);
    int[] RandomIds(int n) => Enumerable.Range(0, n).Select(_ => rng.Next(1, shape.Vocab)).ToArray();
    int[] Range(int from, int n) => Enumerable.Range(from, n).ToArray();

    // Warm-up: JIT, thread pool, page in the weights.
    // Decode steps too: the m = 1 paths (GEMV, decode attention) are other methods than prefill's, and
    // tiered compilation only recompiles a method optimised after ~30 calls and a 100 ms pause, so
    // without this the first measured decode steps would run tier-0 code.
    using (var warm = model.CreateSegment(opts.Kv, 64 + 40))
    {
        model.Forward(RandomIds(64), Range(0, 64), [], warm, LogitsMode.Last);
        for (int t = 0; t < 40; t++) model.Forward(RandomIds(1), [64 + t], [], warm, LogitsMode.Last);
        Thread.Sleep(300);
    }
    profiler?.Report(TextWriter.Null);

    foreach (int n in opts.Lengths)
    {
        var prefill = new List<double>();
        var decode = new List<double>();
        var suffix = new List<double>();
        long kvBytes = 0;
        for (int rep = 0; rep < opts.Reps; rep++)
        {
            int[] ids = RandomIds(n);
            using var session = model.CreateSegment(opts.Kv, n + opts.Decode);
            var sw = Stopwatch.StartNew();
            var logits = model.Forward(ids, Range(0, n), [], session, LogitsMode.Last);
            prefill.Add(sw.Elapsed.TotalMilliseconds);
            if (profiler is not null && rep == 0)
            {
                Console.Error.WriteLine($"{shape.Name} prefill {n}: {sw.Elapsed.TotalMilliseconds:F0} ms");
                profiler.Report(Console.Error);
            }
            int next = PromptCache.Runtime.Generation.Sampler.ArgMax(logits.Row(0));
            for (int t = 0; t < opts.Decode; t++)
            {
                sw.Restart();
                logits = model.Forward([next], [n + t], [], session, LogitsMode.Last);
                next = PromptCache.Runtime.Generation.Sampler.ArgMax(logits.Row(0));
                decode.Add(sw.Elapsed.TotalMilliseconds);
            }
            if (profiler is not null && rep == 0)
            {
                Console.Error.WriteLine($"{shape.Name} decode after {n}: {opts.Decode} tokens");
                profiler.Report(Console.Error);
            }
            session.Truncate(n);
            kvBytes = session.ByteCount;
            // Cached suffix: the n-token prefix is reused as a segment; only the suffix is computed.
            int[] tail = RandomIds(opts.Suffix);
            sw.Restart();
            model.Forward(tail, Range(n, opts.Suffix), [session], null, LogitsMode.Last);
            suffix.Add(sw.Elapsed.TotalMilliseconds);
            if (profiler is not null && rep == 0)
            {
                Console.Error.WriteLine($"{shape.Name} cached suffix of {opts.Suffix} after {n}: {sw.Elapsed.TotalMilliseconds:F0} ms");
                profiler.Report(Console.Error);
            }
        }
        double pMs = Median(prefill), dMs = Median(decode), sMs = Median(suffix);
        // Decode floor: every weight matrix (the blocks and the output head) is read once per token.
        double gflops = shape.Flops(n, 0) / (pMs / 1000) / 1e9;
        long weights = model.Weights.TotalBytes;
        long peak = PeakMemory.PeakBytes();
        double decodeGBps = shape.DecodeWeightBytes / (dMs / 1000) / 1e9, ceiling = ReadBandwidth.Measure();
        PeakMemory.Reset(); // the next length's peak must not include the bandwidth probe's buffer
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {shape.Name} | {shape.DType} | {n} | {pMs:F0} | {n / (pMs / 1000):F1} | {gflops:F1} | {dMs:F1} | {1000 / dMs:F1} | {sMs:F0} | {weights / 1048576.0:F0} | {kvBytes / 1048576.0:F1} | {peak / 1048576.0:F0} | {(double)peak / (weights + kvBytes):F2} | {baseline / 1048576.0:F0} | {decodeGBps:F1} | {ceiling:F1} | {ceiling / decodeGBps:F2} |"));
    }
}

// The 512-token vocabulary of ../shared/models/stories260K, copied into the GGUFs so llama.cpp loads them.
static string? FindStories()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        string candidate = Path.Combine(dir.FullName, "shared", "models", "stories260K", "stories260K.gguf");
        if (File.Exists(candidate)) return candidate;
    }
    return null;
}

static double Median(List<double> xs)
{
    var s = xs.OrderBy(x => x).ToArray();
    return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
}

static string RuntimeInfo() =>
    $".NET {Environment.Version}, AVX-512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}";

namespace PromptCache.Benchmarks.Inference
{
    internal sealed record Options(string[] Models, int[] Lengths, int Reps, int Decode, int Suffix, int Vocab, string DType, string Directory, KvDataType Kv, bool Profile = false, string? Tokenizer = null)
    {
        public static Options Parse(string[] args)
        {
            var o = new Options(["llama-110m", "llama-1b"], [128, 512, 2048], 5, 16, 32, 512, "f16",
                Path.Combine(Path.GetTempPath(), "promptcache-bench"), KvDataType.F16);
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i] == "--profile")
                {
                    o = o with { Profile = true };
                    continue;
                }
                string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
                o = args[i++] switch
                {
                    "--models" => o with { Models = value.Split(',') },
                    "--lengths" => o with { Lengths = value.Split(',').Select(int.Parse).ToArray() },
                    "--reps" => o with { Reps = int.Parse(value) },
                    "--decode" => o with { Decode = int.Parse(value) },
                    "--suffix" => o with { Suffix = int.Parse(value) },
                    "--vocab" => o with { Vocab = int.Parse(value) },
                    "--dtype" => o with { DType = value },
                    "--dir" => o with { Directory = value },
                    "--tokenizer" => o with { Tokenizer = value },
                    "--kv" => o with { Kv = Enum.Parse<KvDataType>(value, ignoreCase: true) },
                    _ => throw new ArgumentException($"unknown option {args[i - 1]}"),
                };
            }
            return o;
        }
    }
}
