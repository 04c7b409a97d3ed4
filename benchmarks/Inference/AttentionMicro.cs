using System.Diagnostics;
using System.Numerics.Tensors;
using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Inference;

namespace PromptCache.Benchmarks.Inference;

/// <summary>`--attention-micro`: one layer of causal self-attention alone, to size the kernel against the GEMM.</summary>
internal static unsafe class AttentionMicro
{
    /// <summary>
    /// One decode step (a single query) over <paramref name="context"/> cached keys, cycling through
    /// <paramref name="layers"/> layers so the K/V comes from memory as in a real decode, interleaved
    /// with a plain streaming read of the same bytes (the floor the attention could reach).
    /// </summary>
    public static void Decode(int context, int heads, int kvHeads, int headDim, KvDataType type, int layers = 12)
    {
        using var seg = new KvSegment(layers, kvHeads, headDim, type, context);
        var rng = new Random(1);
        int kvDim = kvHeads * headDim;
        float[] k = Enumerable.Range(0, context * kvDim).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] q = Enumerable.Range(0, heads * headDim).Select(_ => (float)rng.NextDouble()).ToArray();
        var o = new float[q.Length];
        fixed (float* kp = k, qp = q, op = o)
        {
            for (int l = 0; l < layers; l++) CpuBackend.Instance.StoreKv(seg, l, 0, kp, kp, context);
            KvBlock[] blocks = [new(seg, context, false)];
            var proc = Process.GetCurrentProcess();
            long bytes = 2L * context * kvDim * (type == KvDataType.F32 ? 4 : 2); // K and V of one layer
            // A separate buffer of the same size stands in for the segment in the streaming read.
            byte* copy = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(bytes * layers), 64);
            new Span<byte>(copy, (int)(bytes * layers)).Fill(1);
            float sink = 0;
            for (int rep = 0; rep < 4; rep++)
            {
                proc.Refresh();
                var cpu0 = proc.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                const int Calls = 240;
                for (int i = 0; i < Calls; i++) CpuBackend.Instance.Attention(qp, 1, heads, blocks, i % layers, op);
                double wall = sw.Elapsed.TotalMilliseconds / Calls * 1000;
                proc.Refresh();
                double cpu = (proc.TotalProcessorTime - cpu0).TotalMilliseconds / Calls * 1000;
                // The same bytes read once by both cores (sum of floats over each half of the layer).
                sw.Restart();
                for (int i = 0; i < Calls; i++)
                {
                    byte* layer = copy + (i % layers) * bytes;
                    int half = (int)(bytes / 8);
                    Parallel.For(0, 2, h => sink += TensorPrimitives.Sum(new ReadOnlySpan<float>(layer + h * half * 4, half)));
                }
                double read = sw.Elapsed.TotalMilliseconds / Calls * 1000;
                Console.WriteLine($"decode attention ctx={context} heads={heads}/{kvHeads} hd={headDim} {type} layers={layers}: wall {wall:F0} us/call, cpu {cpu:F0} us/call; streaming read of its {bytes / 1024} KiB: {read:F0} us ({bytes / read / 1e3:F1} GB/s); ratio {wall / read:F2}");
            }
            GC.KeepAlive(sink);
            System.Runtime.InteropServices.NativeMemory.AlignedFree(copy);
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
