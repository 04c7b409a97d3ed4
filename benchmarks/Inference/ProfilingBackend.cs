using System.Diagnostics;
using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Models;

namespace PromptCache.Benchmarks.Inference;

/// <summary>Wraps a backend and adds up wall time per operation, to see where a forward pass goes.</summary>
internal sealed unsafe class ProfilingBackend(IComputeBackend inner) : IComputeBackend
{
    private readonly Dictionary<string, (double Ms, double CpuMs, long Calls)> _totals = new();
    private readonly Process _process = Process.GetCurrentProcess();

    public string Name => inner.Name + "+profile";

    private void Time(string op, Action action)
    {
        // CPU time too: on a shared, oversubscribed machine wall time mostly measures the neighbours.
        _process.Refresh();
        TimeSpan cpu0 = _process.TotalProcessorTime;
        long start = Stopwatch.GetTimestamp();
        action();
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        _process.Refresh();
        double cpuMs = (_process.TotalProcessorTime - cpu0).TotalMilliseconds;
        _totals[op] = _totals.TryGetValue(op, out var t) ? (t.Ms + ms, t.CpuMs + cpuMs, t.Calls + 1) : (ms, cpuMs, 1);
    }

    public void Report(TextWriter w)
    {
        double all = _totals.Values.Sum(v => v.Ms);
        foreach (var (op, (ms, cpuMs, calls)) in _totals.OrderByDescending(kv => kv.Value.Ms))
            w.WriteLine($"  {op,-10} {ms,10:F1} ms {100 * ms / all,5:F1}%  cpu {cpuMs,10:F1} ms  {calls} calls");
        _totals.Clear();
    }

    public float* Allocate(long count) => inner.Allocate(count);
    public void Free(float* buffer) => inner.Free(buffer);
    public void Embed(in WeightTensor embedding, ReadOnlySpan<int> ids, float* y) => inner.Embed(embedding, ids, y);
    public void MatMul(float* x, int m, in WeightTensor w, float* y) { var ww = w; Time("matmul", () => inner.MatMul(x, m, ww, y)); }
    public void AddBias(float* x, int m, float[] bias) => Time("bias", () => inner.AddBias(x, m, bias));
    public void RmsNorm(float* x, float* y, int rows, int width, float[] weight, float eps) => Time("rmsnorm", () => inner.RmsNorm(x, y, rows, width, weight, eps));
    public void Rope(float* x, int m, int heads, RopeTable table, RopeStyle style) => Time("rope", () => inner.Rope(x, m, heads, table, style));
    public void SiluMul(float* gate, float* up, long count) => Time("silu_mul", () => inner.SiluMul(gate, up, count));
    public void Add(float* x, float* y, long count) => Time("add", () => inner.Add(x, y, count));
    public void StoreKv(KvSegment segment, int layer, int start, float* k, float* v, int m) => Time("store_kv", () => inner.StoreKv(segment, layer, start, k, v, m));
    public void Attention(float* q, int m, int heads, ReadOnlySpan<KvBlock> context, int layer, float* output)
    {
        var blocks = context.ToArray();
        Time("attention", () => inner.Attention(q, m, heads, blocks, layer, output));
    }
    public void CopyToHost(float* source, Span<float> destination) => inner.CopyToHost(source, destination);

    public void Flush() => inner.Flush();

    public int PreferredChunkTokens => inner.PreferredChunkTokens;
}
