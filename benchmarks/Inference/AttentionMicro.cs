using System.Diagnostics;
using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Inference;

namespace PromptCache.Benchmarks.Inference;

/// <summary>`--attention-micro`: one layer of causal self-attention alone, to size the kernel against the GEMM.</summary>
internal static unsafe class AttentionMicro
{
    /// <summary>One decode step (a single query) over <paramref name="context"/> cached keys, repeated.</summary>
    public static void Decode(int context, int heads, int kvHeads, int headDim, KvDataType type)
    {
        using var seg = new KvSegment(1, kvHeads, headDim, type, context);
        var rng = new Random(1);
        int kvDim = kvHeads * headDim;
        float[] k = Enumerable.Range(0, context * kvDim).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] q = Enumerable.Range(0, heads * headDim).Select(_ => (float)rng.NextDouble()).ToArray();
        var o = new float[q.Length];
        fixed (float* kp = k, qp = q, op = o)
        {
            CpuBackend.Instance.StoreKv(seg, 0, 0, kp, kp, context);
            KvBlock[] blocks = [new(seg, context, false)];
            var proc = Process.GetCurrentProcess();
            for (int rep = 0; rep < 3; rep++)
            {
                proc.Refresh();
                var cpu0 = proc.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                const int Calls = 200;
                for (int i = 0; i < Calls; i++) CpuBackend.Instance.Attention(qp, 1, heads, blocks, 0, op);
                proc.Refresh();
                Console.WriteLine($"decode attention ctx={context} heads={heads}/{kvHeads} hd={headDim} {type}: wall {sw.Elapsed.TotalMilliseconds / Calls * 1000:F0} us/call, cpu {(proc.TotalProcessorTime - cpu0).TotalMilliseconds / Calls * 1000:F0} us/call");
            }
        }
    }

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
