using System.Diagnostics;
using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Inference;

namespace PromptCache.Benchmarks.Inference;

/// <summary>`--attention-micro`: one layer of causal self-attention alone, to size the kernel against the GEMM.</summary>
internal static unsafe class AttentionMicro
{
    public static void Run(int m, int heads, int kvHeads, int headDim, KvDataType type)
    {
        using var seg = new KvSegment(1, kvHeads, headDim, type, m);
        var rng = new Random(1);
        int kvDim = kvHeads * headDim;
        float[] k = Enumerable.Range(0, m * kvDim).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] q = Enumerable.Range(0, m * heads * headDim).Select(_ => (float)rng.NextDouble()).ToArray();
        var o = new float[q.Length];
        fixed (float* kp = k, qp = q, op = o)
        {
            CpuBackend.Instance.StoreKv(seg, 0, 0, kp, kp, m);
            KvBlock[] blocks = [new(seg, 0, true)];
            var times = new List<double>();
            var proc = Process.GetCurrentProcess();
            for (int rep = 0; rep < 6; rep++)
            {
                proc.Refresh();
                var cpu0 = proc.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                CpuBackend.Instance.Attention(qp, m, heads, blocks, 0, op);
                proc.Refresh();
                times.Add((proc.TotalProcessorTime - cpu0).TotalMilliseconds);
                Console.WriteLine($"attention m={m} heads={heads}/{kvHeads} hd={headDim} {type}: wall {sw.Elapsed.TotalMilliseconds:F1} ms, cpu {times[^1]:F1} ms, " +
                                  $"{4.0 * heads * headDim * m * (m + 1) / 2 / (times[^1] / 1000) / 1e9:F1} GFLOP/cpu-s");
            }
        }
    }
}
