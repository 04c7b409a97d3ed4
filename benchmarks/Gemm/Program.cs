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
//   --small-max 64      largest m for the small-m dot-product path (tuning knob)
var options = Options.Parse(args);
CpuGemm.SmallMaxRows = options.SmallMax;
const double ReferencePeak = 375;   // OpenBLAS AVX-512 sgemm, 2048×5632×2048, 2 threads (BENCHMARKS.md)
const double ReferenceBandwidth = 30; // GB/s memory read, 2 threads (BENCHMARKS.md)
// Weights are cycled through copies totalling at least this much, so m = 1 reads them from DRAM
// as real decoding does, not from a warm last-level cache.
const long ColdBytes = 192L << 20;

var (fmaPeak, fmaPeakCpu) = FmaPeak.Measure();
Console.WriteLine($"# CPU GEMM, {Environment.ProcessorCount} threads, path {options.Path}, small-m path up to m = {options.SmallMax}, {DateTime.UtcNow:u}");
Console.WriteLine($"# In-process 512-bit FMA ceiling (no memory traffic): {fmaPeak:F0} GFLOP/s wall, {fmaPeakCpu:F0} per CPU time; reference peak {ReferencePeak} GFLOP/s; memory {ReferenceBandwidth} GB/s");
Console.WriteLine($"# Medians of {options.Reps} samples after warm-up; each sample ≥ 20 ms. 'per CPU time' = FLOPs / (process CPU seconds / {Environment.ProcessorCount}): the rate on an idle machine.");
Console.WriteLine();
Console.WriteLine("| model | layer | m | k | n | W dtype | median ms | GFLOP/s | % of 375 | % of FMA ceiling | best-sample GFLOP/s | GFLOP/s per CPU time (% of ceiling) | W GB/s (m=1: % of 30 GB/s, wall and per CPU time) |");
Console.WriteLine("|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");

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
            var (seconds, cpuSeconds, bestSeconds) = Measure(a, m, layer.K, weights, type, layer.N, c, options);
            // Throughput per busy core, scaled to all cores: what the kernel would do on an idle
            // machine. The shared machine steals cores from us; wall-clock numbers drift with that.
            double cpuGflops = flopsOf(m, layer) / (cpuSeconds / Environment.ProcessorCount) / 1e9;
            double flops = flopsOf(m, layer);
            double gflops = flops / seconds / 1e9;
            double gbs = wBytes / seconds / 1e9;
            double cpuGbs = wBytes / (cpuSeconds / Environment.ProcessorCount) / 1e9;
            string bw = m == 1 ? $"{gbs:F1} ({100 * gbs / ReferenceBandwidth:F0} %); per CPU time {cpuGbs:F1} ({100 * cpuGbs / ReferenceBandwidth:F0} %)" : $"{gbs:F1}";
            Console.WriteLine($"| {layer.Model} | {layer.Layer} | {m} | {layer.K} | {layer.N} | {type} | {seconds * 1e3:F3} | {gflops:F1} | {100 * gflops / ReferencePeak:F0} % | {100 * gflops / fmaPeak:F0} % | {flops / bestSeconds / 1e9:F1} | {cpuGflops:F1} ({100 * cpuGflops / fmaPeakCpu:F0} %) | {bw} |");
            Free(a);
            Free(c);
        }

        foreach (var wp in weights)
        {
            Free(wp);
        }
    }
}

static double flopsOf(int m, LayerShape layer) => 2.0 * m * layer.K * layer.N;

static long WeightLayoutBytes(WeightType type, int k) => type switch
{
    WeightType.F32 => 4L * k,
    WeightType.Q8_0 => k / 32 * 34L,
    _ => 2L * k,
};

static unsafe nint Alloc(long bytes) => (nint)NativeMemory.AlignedAlloc((nuint)bytes, 64);

static unsafe void Free(nint p) => NativeMemory.AlignedFree((void*)p);

// Returns the median wall time per call, the median CPU time per call (all threads) and the
// fastest sample (the least disturbed by other processes).
static unsafe (double Wall, double Cpu, double Best) Measure(nint a, int m, int k, nint[] weights, WeightType type, int n, nint c, Options options)
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
    var cpu = new double[options.Reps];
    var process = Process.GetCurrentProcess();
    for (int r = 0; r < samples.Length; r++)
    {
        process.Refresh();
        TimeSpan cpu0 = process.TotalProcessorTime;
        sw.Restart();
        for (int i = 0; i < inner; i++)
        {
            Call();
        }

        samples[r] = sw.Elapsed.TotalSeconds / inner;
        process.Refresh();
        cpu[r] = (process.TotalProcessorTime - cpu0).TotalSeconds / inner;
    }

    Array.Sort(samples);
    Array.Sort(cpu);
    return (samples[samples.Length / 2], cpu[cpu.Length / 2], samples[0]);
}

/// <summary>Command-line options of the GEMM benchmark.</summary>
internal sealed record Options(int[] Rows, WeightType[] Types, string[] Models, int Reps, GemmPath Path, int SmallMax)
{
    public static Options Parse(string[] args)
    {
        var o = new Options(Shapes.Rows, [WeightType.F32, WeightType.BF16, WeightType.F16, WeightType.Q8_0], ["110M", "1.1B"], 5, GemmPath.Auto, CpuGemm.SmallMaxRows);
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
                "--small-max" => o with { SmallMax = int.Parse(v) },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'. Known: --m, --types, --models, --reps, --path, --small-max."),
            };
        }

        return o;
    }
}
