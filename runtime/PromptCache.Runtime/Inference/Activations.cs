using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Models;

namespace PromptCache.Runtime.Inference;

/// <summary>The scratch buffers of one forward chunk of n tokens, allocated on the backend and freed together.</summary>
internal sealed unsafe class Activations : IDisposable
{
    private readonly IComputeBackend _backend;

    public Activations(IComputeBackend backend, int n, ModelConfig c)
    {
        _backend = backend;
        X = backend.Allocate((long)n * c.HiddenSize);
        Xb = backend.Allocate((long)n * c.HiddenSize);
        Q = backend.Allocate((long)n * c.QueryDim);
        K = backend.Allocate((long)n * c.KvDim);
        V = backend.Allocate((long)n * c.KvDim);
        Att = backend.Allocate((long)n * c.QueryDim);
        Gate = backend.Allocate((long)n * c.FfnSize);
        Up = backend.Allocate((long)n * c.FfnSize);
    }

    /// <summary>The residual stream [n × d].</summary>
    public float* X { get; }
    /// <summary>Normalised input / projection output [n × d].</summary>
    public float* Xb { get; }
    /// <summary>Queries [n × heads·head_dim].</summary>
    public float* Q { get; }
    /// <summary>Keys [n × kv_heads·head_dim].</summary>
    public float* K { get; }
    /// <summary>Values [n × kv_heads·head_dim].</summary>
    public float* V { get; }
    /// <summary>Attention output [n × heads·head_dim].</summary>
    public float* Att { get; }
    /// <summary>SwiGLU gate [n × ffn].</summary>
    public float* Gate { get; }
    /// <summary>SwiGLU up [n × ffn].</summary>
    public float* Up { get; }

    public void Dispose()
    {
        _backend.Free(X); _backend.Free(Xb); _backend.Free(Q); _backend.Free(K);
        _backend.Free(V); _backend.Free(Att); _backend.Free(Gate); _backend.Free(Up);
    }
}
