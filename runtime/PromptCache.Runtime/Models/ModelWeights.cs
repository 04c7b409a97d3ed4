namespace PromptCache.Runtime.Models;

/// <summary>The weights of one decoder block. Vectors (norms, biases) are small f32 copies; matrices are used in place.</summary>
public sealed class LayerWeights
{
    /// <summary>RMSNorm weight before attention.</summary>
    public required float[] AttentionNorm { get; init; }
    /// <summary>Query projection [heads·head_dim, d].</summary>
    public required WeightTensor Query { get; init; }
    /// <summary>Key projection [kv_heads·head_dim, d].</summary>
    public required WeightTensor Key { get; init; }
    /// <summary>Value projection [kv_heads·head_dim, d].</summary>
    public required WeightTensor Value { get; init; }
    /// <summary>Attention output projection [d, heads·head_dim].</summary>
    public required WeightTensor Output { get; init; }
    /// <summary>Query bias (Qwen2), or null.</summary>
    public float[]? QueryBias { get; init; }
    /// <summary>Key bias (Qwen2), or null.</summary>
    public float[]? KeyBias { get; init; }
    /// <summary>Value bias (Qwen2), or null.</summary>
    public float[]? ValueBias { get; init; }
    /// <summary>Per-head query RMSNorm weight [head_dim] (Qwen3), or null.</summary>
    public float[]? QueryNorm { get; init; }
    /// <summary>Per-head key RMSNorm weight [head_dim] (Qwen3), or null.</summary>
    public float[]? KeyNorm { get; init; }
    /// <summary>RMSNorm weight before the feed-forward block.</summary>
    public required float[] FfnNorm { get; init; }
    /// <summary>SwiGLU gate projection [ffn, d].</summary>
    public required WeightTensor Gate { get; init; }
    /// <summary>SwiGLU up projection [ffn, d].</summary>
    public required WeightTensor Up { get; init; }
    /// <summary>SwiGLU down projection [d, ffn].</summary>
    public required WeightTensor Down { get; init; }
}

/// <summary>All weights of a Llama-family model.</summary>
public sealed unsafe class ModelWeights
{
    /// <summary>Token embedding [vocab, d].</summary>
    public required WeightTensor Embedding { get; init; }
    /// <summary>The decoder blocks.</summary>
    public required LayerWeights[] Layers { get; init; }
    /// <summary>Final RMSNorm weight.</summary>
    public required float[] FinalNorm { get; init; }
    /// <summary>Output head [vocab, d]; the embedding itself when tied.</summary>
    public required WeightTensor Output { get; init; }

    /// <summary>Bytes of all stored weights (memory-mapped).</summary>
    public long TotalBytes
    {
        get
        {
            long total = Embedding.TotalBytes + (Output.Data == Embedding.Data ? 0 : Output.TotalBytes);
            foreach (var l in Layers)
                total += l.Query.TotalBytes + l.Key.TotalBytes + l.Value.TotalBytes + l.Output.TotalBytes
                         + l.Gate.TotalBytes + l.Up.TotalBytes + l.Down.TotalBytes;
            return total;
        }
    }
}
