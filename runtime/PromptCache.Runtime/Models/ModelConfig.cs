namespace PromptCache.Runtime.Models;

/// <summary>How RoPE pairs the dimensions of a head.</summary>
public enum RopeStyle
{
    /// <summary>Hugging Face <c>rotate_half</c>: dimension i pairs with i + head_dim/2 (also llama.cpp's NEOX mode).</summary>
    Halves,

    /// <summary>GPT-J / llama.cpp "normal" mode: dimension 2i pairs with 2i+1. llama.cpp's converter permutes
    /// Llama q/k weight rows into this layout, so Llama-architecture GGUF files need it.</summary>
    Interleaved,
}

/// <summary>The hyperparameters of a Llama-family decoder, whichever file format they came from.</summary>
/// <param name="Architecture">A short name: <c>llama</c>, <c>mistral</c>, <c>qwen2</c> or <c>qwen3</c>.</param>
/// <param name="HiddenSize">Model width d.</param>
/// <param name="LayerCount">Number of decoder blocks.</param>
/// <param name="HeadCount">Query heads.</param>
/// <param name="KvHeadCount">Key/value heads (GQA when fewer than <paramref name="HeadCount"/>).</param>
/// <param name="HeadDim">Dimension of one head (explicit in Qwen3; otherwise d / heads).</param>
/// <param name="FfnSize">Hidden size of the SwiGLU feed-forward block.</param>
/// <param name="VocabSize">Rows of the embedding and of the output head.</param>
/// <param name="RmsNormEps">Epsilon of every RMSNorm.</param>
/// <param name="Rope">RoPE base and scaling.</param>
/// <param name="RopeStyle">Which dimensions RoPE pairs, given how q/k weights are laid out in the file.</param>
/// <param name="AttentionBias">Whether q/k/v projections carry a bias (Qwen2).</param>
/// <param name="QkNorm">Whether each head of q and k is RMS-normalised before RoPE (Qwen3).</param>
/// <param name="TiedEmbeddings">Whether the output head reuses the token embedding.</param>
/// <param name="ContextLength">The context length the model declares (informational).</param>
public sealed record ModelConfig(
    string Architecture,
    int HiddenSize,
    int LayerCount,
    int HeadCount,
    int KvHeadCount,
    int HeadDim,
    int FfnSize,
    int VocabSize,
    float RmsNormEps,
    RopeSettings Rope,
    RopeStyle RopeStyle,
    bool AttentionBias,
    bool QkNorm,
    bool TiedEmbeddings,
    int ContextLength)
{
    /// <summary>Width of all query heads together.</summary>
    public int QueryDim => HeadCount * HeadDim;

    /// <summary>Width of all key (or value) heads together.</summary>
    public int KvDim => KvHeadCount * HeadDim;

    /// <summary>Checks internal consistency; throws naming the offending value.</summary>
    /// <exception cref="InvalidDataException">A value is out of range or inconsistent.</exception>
    public void Validate(string source)
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new InvalidDataException($"{source}: invalid model configuration: {what}.");
        }
        Require(HiddenSize > 0, $"hidden size {HiddenSize}");
        Require(LayerCount > 0, $"layer count {LayerCount}");
        Require(HeadCount > 0 && KvHeadCount > 0, $"heads {HeadCount}, kv heads {KvHeadCount}");
        Require(HeadCount % KvHeadCount == 0, $"heads {HeadCount} not a multiple of kv heads {KvHeadCount}");
        Require(HeadDim > 0 && HeadDim % 2 == 0, $"head dim {HeadDim} must be positive and even");
        Require(FfnSize > 0, $"ffn size {FfnSize}");
        Require(VocabSize > 0, $"vocab size {VocabSize}");
        Require(RmsNormEps > 0, $"rms_norm_eps {RmsNormEps}");
        Require(Rope.Theta > 0, $"rope theta {Rope.Theta}");
    }
}
