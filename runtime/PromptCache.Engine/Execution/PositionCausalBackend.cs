using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Models;

namespace PromptCache.Engine.Execution;

/// <summary>
/// A compute backend decorator that makes attention causal by <em>position</em> across context
/// segments: a new token at position p sees only the cached tokens at positions below p. Everything
/// else is delegated unchanged.
/// </summary>
/// <remarks>
/// <para>Why: an argument is computed inside its slot, in the middle of the schema, while the cached
/// segments of its own module and of the schema root also hold tokens after the slot. Without the
/// mask the argument would attend to text that follows it, and a prefix-exact request with arguments
/// would not reproduce a full prefill. Suffix tokens come after every cached token, so for them
/// nothing changes.</para>
/// <para>The runtime's attention only knows per-row prefixes of each segment (<see cref="KvBlock"/>).
/// Since a segment's positions increase, "positions below p" is such a prefix; rows are grouped by
/// identical visibility and each group is one inner attention call. The query positions of the
/// forward pass in flight are handed over by <see cref="Scope"/> (thread-static: the model calls the
/// backend on the thread that called Forward).</para>
/// </remarks>
public sealed unsafe class PositionCausalBackend(IComputeBackend inner) : IComputeBackend
{
    [ThreadStatic]
    private static Ambient? s_current;

    /// <summary>The CPU backend, wrapped.</summary>
    public static PositionCausalBackend Cpu { get; } = new(CpuBackend.Instance);

    /// <summary>The wrapped backend.</summary>
    public IComputeBackend Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <inheritdoc />
    public string Name => Inner.Name;

    /// <summary>
    /// Declares the query positions of the next Forward call on this thread; dispose after it. Without
    /// a scope, attention is the inner backend's (every context token visible).
    /// </summary>
    /// <param name="positions">The positions passed to Forward.</param>
    /// <param name="outputCountBefore">Tokens already in Forward's output segment (0 when none is passed).</param>
    public static IDisposable Scope(int[] positions, int outputCountBefore)
    {
        var previous = s_current;
        s_current = new Ambient(positions, outputCountBefore);
        return new Restore(previous);
    }

    /// <inheritdoc />
    public void Attention(float* q, int m, int heads, ReadOnlySpan<KvBlock> context, int layer, float* output)
    {
        var ambient = s_current;
        if (ambient is null || context.Length < 2)
        {
            Inner.Attention(q, m, heads, context, layer, output);
            return;
        }

        // The last block is the output segment, written by this forward (causal by index = by position).
        var own = context[^1];
        int first = own.Visible - ambient.OutputCountBefore; // this chunk's first row within the Forward call
        int contexts = context.Length - 1;
        var visible = new int[m, contexts];
        for (int r = 0; r < m; r++)
        {
            int p = ambient.Positions[first + r];
            for (int b = 0; b < contexts; b++) visible[r, b] = Math.Min(context[b].Visible, CountBelow(context[b].Segment.Positions, p));
        }

        int stride = heads * context[0].Segment.HeadDim;
        var blocks = new KvBlock[context.Length];
        for (int r0 = 0; r0 < m;)
        {
            int r1 = r0 + 1;
            while (r1 < m && SameRow(visible, r0, r1, contexts)) r1++;
            for (int b = 0; b < contexts; b++) blocks[b] = context[b] with { Visible = visible[r0, b] };
            blocks[^1] = own with { Visible = own.Visible + r0 };
            Inner.Attention(q + (long)r0 * stride, r1 - r0, heads, blocks, layer, output + (long)r0 * stride);
            r0 = r1;
        }
    }

    private static bool SameRow(int[,] visible, int a, int b, int count)
    {
        for (int i = 0; i < count; i++)
            if (visible[a, i] != visible[b, i]) return false;
        return true;
    }

    // Positions of a segment increase, so the tokens below p are a prefix: binary search its length.
    private static int CountBelow(IReadOnlyList<int> positions, int p)
    {
        int lo = 0, hi = positions.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (positions[mid] < p) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <inheritdoc />
    public float* Allocate(long count) => Inner.Allocate(count);

    /// <inheritdoc />
    public void Free(float* buffer) => Inner.Free(buffer);

    /// <inheritdoc />
    public void Embed(in WeightTensor embedding, ReadOnlySpan<int> ids, float* y) => Inner.Embed(embedding, ids, y);

    /// <inheritdoc />
    public void MatMul(float* x, int m, in WeightTensor w, float* y) => Inner.MatMul(x, m, w, y);

    /// <inheritdoc />
    public void AddBias(float* x, int m, float[] bias) => Inner.AddBias(x, m, bias);

    /// <inheritdoc />
    public void RmsNorm(float* x, float* y, int rows, int width, float[] weight, float eps) => Inner.RmsNorm(x, y, rows, width, weight, eps);

    /// <inheritdoc />
    public void Rope(float* x, int m, int heads, RopeTable table, RopeStyle style) => Inner.Rope(x, m, heads, table, style);

    /// <inheritdoc />
    public void SiluMul(float* gate, float* up, long count) => Inner.SiluMul(gate, up, count);

    /// <inheritdoc />
    public void Add(float* x, float* y, long count) => Inner.Add(x, y, count);

    /// <inheritdoc />
    public void StoreKv(KvSegment segment, int layer, int start, float* k, float* v, int m) => Inner.StoreKv(segment, layer, start, k, v, m);

    /// <inheritdoc />
    public void CopyToHost(float* source, Span<float> destination) => Inner.CopyToHost(source, destination);

    private sealed record Ambient(int[] Positions, int OutputCountBefore);

    private sealed class Restore(Ambient? previous) : IDisposable
    {
        public void Dispose() => s_current = previous;
    }
}
