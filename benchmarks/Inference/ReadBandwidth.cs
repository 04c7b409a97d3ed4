using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PromptCache.Benchmarks.Inference;

/// <summary>
/// The decode floor of this machine, measured in the same process and minute as the decode it judges:
/// a decode step of a dense model reads every weight once, so its best possible time is weight bytes
/// over the rate at which all cores can stream memory. This shared machine's rate drifts (28–55 GB/s
/// seen within minutes), which is why it is re-measured next to each decode timing rather than quoted.
/// </summary>
internal static unsafe class ReadBandwidth
{
    // 8× the 32 MiB L3, so every pass comes from DRAM; allocated per call and freed, and the caller
    // reads its peak RSS before calling (the RSS column must show the model, not this buffer).
    private const long Bytes = 256L << 20;

    /// <summary>Best of <paramref name="passes"/> timed reads of 256 MiB by all cores, in GB/s.</summary>
    public static double Measure(int passes = 5)
    {
        byte* buffer = (byte*)NativeMemory.AlignedAlloc((nuint)Bytes, 4096);
        try
        {
            new Span<byte>(buffer, (int)Bytes).Fill(1); // touch every page before timing
            int threads = Environment.ProcessorCount;
            long chunk = Bytes / threads / 4096 * 4096;
            double best = 0;
            for (int p = 0; p < passes; p++)
            {
                long t0 = Stopwatch.GetTimestamp();
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => Sum(buffer + t * chunk, chunk));
                best = Math.Max(best, chunk * threads / Stopwatch.GetElapsedTime(t0).TotalSeconds / 1e9);
            }

            return best;
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    // Two independent 64-byte loads per step, as the GEMV streams its weight rows.
    private static float Sum(byte* p, long bytes)
    {
        Vector512<float> s0 = default, s1 = default;
        for (long i = 0; i + 128 <= bytes; i += 128)
        {
            s0 += Vector512.Load((float*)(p + i));
            s1 += Vector512.Load((float*)(p + i + 64));
        }

        return Vector512.Sum(s0 + s1);
    }
}
