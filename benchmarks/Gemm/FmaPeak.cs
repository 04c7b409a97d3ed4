using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PromptCache.Benchmarks.Gemm;

/// <summary>
/// The arithmetic ceiling of this machine as a managed program sees it: 12 independent chains of
/// 512-bit FMAs on every core, no memory traffic. A GEMM cannot beat it; its ratio to it is the
/// kernel's efficiency, independent of what the CPU model is.
/// </summary>
internal static class FmaPeak
{
    /// <summary>
    /// Best of three runs, in GFLOP/s, using all cores: by wall clock, and per CPU time scaled to
    /// all cores (the idle-machine rate, see Program.cs).
    /// </summary>
    public static (double Wall, double Cpu) Measure()
    {
        if (!Avx512F.IsSupported)
        {
            return (double.NaN, double.NaN);
        }

        int threads = Environment.ProcessorCount;
        const long iterations = 20_000_000;
        double best = 0, bestCpu = 0;
        var process = Process.GetCurrentProcess();
        for (int rep = 0; rep < 3; rep++)
        {
            process.Refresh();
            TimeSpan cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => Chains(iterations));
            double flops = threads * iterations * 12.0 * 16 * 2;
            best = Math.Max(best, flops / sw.Elapsed.TotalSeconds / 1e9);
            process.Refresh();
            bestCpu = Math.Max(bestCpu, flops / ((process.TotalProcessorTime - cpu0).TotalSeconds / threads) / 1e9);
        }

        return (best, bestCpu);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains(long iterations)
    {
        var x = Vector512.Create(0.9999f);
        var y = Vector512.Create(1e-5f);
        Vector512<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, x, y);
            a1 = Avx512F.FusedMultiplyAdd(a1, x, y);
            a2 = Avx512F.FusedMultiplyAdd(a2, x, y);
            a3 = Avx512F.FusedMultiplyAdd(a3, x, y);
            a4 = Avx512F.FusedMultiplyAdd(a4, x, y);
            a5 = Avx512F.FusedMultiplyAdd(a5, x, y);
            a6 = Avx512F.FusedMultiplyAdd(a6, x, y);
            a7 = Avx512F.FusedMultiplyAdd(a7, x, y);
            a8 = Avx512F.FusedMultiplyAdd(a8, x, y);
            a9 = Avx512F.FusedMultiplyAdd(a9, x, y);
            a10 = Avx512F.FusedMultiplyAdd(a10, x, y);
            a11 = Avx512F.FusedMultiplyAdd(a11, x, y);
        }

        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
