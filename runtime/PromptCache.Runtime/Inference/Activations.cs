using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Models;

namespace PromptCache.Runtime.Inference;

/// <summary>
/// The scratch buffers of one forward chunk of n tokens: one backend allocation, carved into views.
/// </summary>
/// <remarks>
/// <para>The attention buffers (<see cref="Q"/>, <see cref="K"/>, <see cref="V"/>, <see cref="Att"/>)
/// and the feed-forward buffers (<see cref="Gate"/>, <see cref="Up"/>) share memory: within a layer
/// the attention half is finished (K and V stored in the segment, Att projected into Xb) before the
/// feed-forward half writes Gate, and Gate is consumed (down projection into Xb) before the next
/// layer writes Q. Only <see cref="X"/> and <see cref="Xb"/> live across both halves. For Llama-110M
/// at 512 tokens this is 11 MiB instead of 17 MiB, which is what keeps its peak RSS near
/// weights + K/V.</para>
/// <para>One allocation instead of eight also leaves one hole, not eight, in the allocator when the
/// chunk ends, so the next chunk reuses the same pages.</para>
/// </remarks>
internal sealed unsafe class Activations : IDisposable
{
    // Views start on 64-byte boundaries (16 floats), like separate aligned allocations would.
    private const long Align = 16;

    private readonly IComputeBackend _backend;
    private float* _block;

    public Activations(IComputeBackend backend, int n, ModelConfig c)
    {
        _backend = backend;
        long residual = Round((long)n * c.HiddenSize);
        long query = Round((long)n * c.QueryDim), kv = Round((long)n * c.KvDim), ffn = Round((long)n * c.FfnSize);
        long attention = 2 * query + 2 * kv;
        Floats = 2 * residual + Math.Max(attention, 2 * ffn);
        _block = backend.Allocate(Floats);

        X = _block;
        Xb = X + residual;
        float* shared = Xb + residual;
        Q = shared;
        K = Q + query;
        V = K + kv;
        Att = V + kv;
        Gate = shared;
        Up = Gate + ffn;
    }

    /// <summary>Floats allocated for the whole chunk.</summary>
    public long Floats { get; }

    /// <summary>The residual stream [n × d].</summary>
    public float* X { get; }
    /// <summary>Normalised input / projection output [n × d].</summary>
    public float* Xb { get; }
    /// <summary>Queries [n × heads·head_dim]; shares memory with <see cref="Gate"/>/<see cref="Up"/>.</summary>
    public float* Q { get; }
    /// <summary>Keys [n × kv_heads·head_dim]; shares memory with <see cref="Gate"/>/<see cref="Up"/>.</summary>
    public float* K { get; }
    /// <summary>Values [n × kv_heads·head_dim]; shares memory with <see cref="Gate"/>/<see cref="Up"/>.</summary>
    public float* V { get; }
    /// <summary>Attention output [n × heads·head_dim]; shares memory with <see cref="Gate"/>/<see cref="Up"/>.</summary>
    public float* Att { get; }
    /// <summary>SwiGLU gate [n × ffn]; shares memory with the attention buffers.</summary>
    public float* Gate { get; }
    /// <summary>SwiGLU up [n × ffn]; shares memory with the attention buffers.</summary>
    public float* Up { get; }

    private static long Round(long floats) => (floats + Align - 1) / Align * Align;

    public void Dispose()
    {
        if (_block == null) return;
        _backend.Free(_block);
        _block = null;
    }
}
