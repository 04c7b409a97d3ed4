namespace PromptCache.Engine.Synthetic;

/// <summary>The element type a synthetic checkpoint stores its weights in.</summary>
public enum SyntheticWeightType
{
    /// <summary>4-byte floats.</summary>
    F32,

    /// <summary>bfloat16.</summary>
    BF16,
}

/// <summary>
/// The shape of a synthetic Llama checkpoint: real layer shapes, random weights. Vocabulary defaults
/// to the <see cref="ByteTokenizer"/>'s.
/// </summary>
/// <param name="Name">A short name used in messages and in the checkpoint's folder name.</param>
/// <param name="HiddenSize">Model width d.</param>
/// <param name="LayerCount">Decoder blocks.</param>
/// <param name="HeadCount">Query heads.</param>
/// <param name="KvHeadCount">Key/value heads.</param>
/// <param name="FfnSize">SwiGLU hidden size.</param>
/// <param name="VocabSize">Vocabulary rows.</param>
/// <param name="WeightType">Storage type.</param>
/// <param name="ContextLength">Declared context length.</param>
public sealed record SyntheticShape(
    string Name, int HiddenSize, int LayerCount, int HeadCount, int KvHeadCount, int FfnSize,
    int VocabSize = ByteTokenizer.Size, SyntheticWeightType WeightType = SyntheticWeightType.F32, int ContextLength = 8192)
{
    /// <summary>A few-layer toy for unit tests (d 64, 2 layers, GQA 4/2): builds and runs in milliseconds.</summary>
    public static SyntheticShape Tiny { get; } = new("tiny", 64, 2, 4, 2, 176, ContextLength: 4096);

    /// <summary>The llama2.c TinyStories-42M shape (d 512, 8 layers, 8 heads, FFN 1376): the quickstart's default.</summary>
    public static SyntheticShape Llama42M { get; } = new("llama-42m", 512, 8, 8, 8, 1376);

    /// <summary>The llama2.c TinyStories-110M shape (d 768, 12 layers, 12 heads, FFN 2048).</summary>
    public static SyntheticShape Llama110M { get; } = new("llama-110m", 768, 12, 12, 12, 2048);

    /// <summary>The TinyLlama-1.1B shape (d 2048, 22 layers, GQA 32/4, FFN 5632) in bf16.</summary>
    public static SyntheticShape TinyLlama1B { get; } = new("tinyllama-1.1b", 2048, 22, 32, 4, 5632, WeightType: SyntheticWeightType.BF16);

    /// <summary>
    /// The Llama-2-7B shape (d 4096, 32 layers, 32 heads, FFN 11008) in bf16: 13 GB of weights, written once
    /// (about a minute). The vocabulary stays the byte tokenizer's, so the output head is smaller than 7B's.
    /// </summary>
    public static SyntheticShape Llama2_7B { get; } = new("llama-2-7b", 4096, 32, 32, 32, 11008, WeightType: SyntheticWeightType.BF16);

    /// <summary>The Llama-3-8B shape (d 4096, 32 layers, GQA 32/8, FFN 14336) in bf16, with the byte vocabulary.</summary>
    public static SyntheticShape Llama3_8B { get; } = new("llama-3-8b", 4096, 32, 32, 8, 14336, WeightType: SyntheticWeightType.BF16);

    /// <summary>Dimension of one head.</summary>
    public int HeadDim => HiddenSize / HeadCount;

    /// <summary>Parameters, without the (tied) output head.</summary>
    public long ParameterCount =>
        (long)VocabSize * HiddenSize + HiddenSize +
        LayerCount * (2L * HiddenSize + 2L * HiddenSize * HiddenSize + 2L * HiddenSize * KvHeadCount * HeadDim + 3L * HiddenSize * FfnSize);

    /// <summary>Bytes of one weight.</summary>
    public int WeightBytes => WeightType == SyntheticWeightType.F32 ? 4 : 2;
}
