using System.Diagnostics;
using System.Runtime.InteropServices;
using PromptCache.Benchmarks.Gemm;
using PromptCache.Runtime.Backends.Cpu;

// CPU GEMM throughput table. Options (all optional):
//   --m 1,32,128        token counts (rows of A)
//   --types f32,bf16    weight dtypes: f32, f16, bf16, q8_0
//   --models 1.1B       110M and/or 1.1B
//   --reps 5            timed samples per row (median reported)
//   --path auto         auto, vector512, vector256, scalar
var options = Options.Parse(args);
const double ReferencePeak = 375;   // OpenBLAS AVX-512 sgemm, 2048×5632×2048, 2 threads (BENCHMARKS.md)
const double ReferenceBandwidth = 30; // GB/s memory read, 2 threads (BENCHMARKS.md)
// Weights are cycled through copies totalling at least this much, so m = 1 reads them from DRAM
// as real decoding does, not from a warm last-level cache.
const long ColdBytes = 192L << 20;

double fmaPeak = FmaPeak.Measure();
Console.WriteLine($"# CPU GEMM, {Environment.ProcessorCount} threads, path {options.Path}, {DateTime.UtcNow:u}");
Console.WriteLine($"# In-process 512-bit FMA ceiling (no memory traffic): {fmaPeak:F0} GFLOP/s; reference peak {ReferencePeak} GFLOP/s; memory {ReferenceBandwidth} GB/s");
Console.WriteLine($"# Medians of {options.Reps} samples after warm-up; each sample ≥ 20 ms.");
Console.WriteLine();
Console.WriteLine("| model | layer | m | k | n | W dtype | median ms | GFLOP/s | % of 375 | % of FMA ceiling | W GB/s (m=1: % of 30) |");
Console.WriteLine("|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|");

var rng = new Random(12345);
foreach (var layer in Shapes.Layers.Where(l => options.Models.Contains(l.Model)))
{
    foreach (var type in options.Types)
    {
        long wBytes = (long)layer.N * WeightLayoutBytes(type, layer.K);
        int copies = (int)Math.Max(1, (ColdBytes + wBytes - 1) / wBytes);
        var weights = new nint[copies];
        for (int i = 0; i < copies; i++)
        {
            weights[i] = Alloc(wBytes);
            unsafe { RandomData.Weights((byte*)weights[i], type, layer.N, layer.K, rng); }
        }

        foreach (int m in options.Rows)
        {
            nint a = Alloc((long)m * layer.K * 4), c = Alloc((long)m * layer.N * 4);
            unsafe { RandomData.Floats((float*)a, (long)m * layer.K, rng); }
            double seconds = Measure(a, m, layer.K, weights, type, layer.N, c, options);
            double flops = 2.0 * m * layer.K * layer.N;
            double gflops = flops / seconds / 1e9;
            double gbs = wBytes / seconds / 1e9;
            string bw = m == 1 ? $"{gbs:F1} ({100 * gbs / ReferenceBandwidth:F0} %)" : $"{gbs:F1}";
            Console.WriteLine($"| {layer.Model} | {layer.Layer} | {m} | {layer.K} | {layer.N} | {type} | {seconds * 1e3:F3} | {gflops:F1} | {100 * gflops / ReferencePeak:F0} % | {100 * gflops / fmaPeak:F0} % | {bw} |");
            Free(a);
            Free(c);
        }

        foreach (var wp in weights)
        {
            Free(wp);
        }
    }
}

static long WeightLayoutBytes(WeightType type, int k) => type switch
{
    WeightType.F32 => 4L * k,
    WeightType.Q8_0 => k / 32 * 34L,
    _ => 2L * k,
};

static unsafe nint Alloc(long bytes) => (nint)NativeMemory.AlignedAlloc((nuint)bytes, 64);

static unsafe void Free(nint p) => NativeMemory.AlignedFree((void*)p);

static unsafe double Measure(nint a, int m, int k, nint[] weights, WeightType type, int n, nint c, Options options)
{
    int next = 0;
    void Call() => CpuGemm.MatMulTransposed((float*)a, m, k, (void*)weights[next++ % weights.Length], type, n, (float*)c, options.Path);

    // Warm-up: JIT tiers, buffers, thread pool; also sizes the inner loop.
    var sw = Stopwatch.StartNew();
    int warm = 0;
    while (warm < 3 || sw.ElapsedMilliseconds < 200)
    {
        Call();
        warm++;
    }

    double perCall = sw.Elapsed.TotalSeconds / warm;
    int inner = (int)Math.Max(1, Math.Ceiling(0.02 / perCall));
    var samples = new double[options.Reps];
    for (int r = 0; r < samples.Length; r++)
    {
        sw.Restart();
        for (int i = 0; i < inner; i++)
        {
            Call();
        }

        samples[r] = sw.Elapsed.TotalSeconds / inner;
    }

    Array.Sort(samples);
    return samples[samples.Length / 2];
}

/// <summary>Command-line options of the GEMM benchmark.</summary>
internal sealed record Options(int[] Rows, WeightType[] Types, string[] Models, int Reps, GemmPath Path)
{
    public static Options Parse(string[] args)
    {
        var o = new Options(Shapes.Rows, [WeightType.F32, WeightType.BF16, WeightType.F16, WeightType.Q8_0], ["110M", "1.1B"], 5, GemmPath.Auto);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string v = args[i + 1];
            o = args[i] switch
            {
                "--m" => o with { Rows = v.Split(',').Select(int.Parse).ToArray() },
                "--types" => o with { Types = v.Split(',').Select(t => Enum.Parse<WeightType>(t, ignoreCase: true)).ToArray() },
                "--models" => o with { Models = v.Split(',') },
                "--reps" => o with { Reps = Math.Max(1, int.Parse(v)) },
                "--path" => o with { Path = Enum.Parse<GemmPath>(v, ignoreCase: true) },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'. Known: --m, --types, --models, --reps, --path."),
            };
        }

        return o;
    }
}
