namespace PromptCache.Benchmarks.Gemm;

/// <summary>One linear layer of a real model: C[m×n] = A[m×k] · W[n×k]ᵀ.</summary>
internal sealed record LayerShape(string Model, string Layer, int K, int N);

/// <summary>The linear layers of the two model shapes the runtime benchmarks use.</summary>
internal static class Shapes
{
    /// <summary>Llama-110M (d 768, FFN 2048) and TinyLlama-1.1B (d 2048, GQA 32/4 so k/v are 256 wide, FFN 5632).</summary>
    public static readonly LayerShape[] Layers =
    [
        new("110M", "attn q/k/v/o", 768, 768),
        new("110M", "ffn up/gate", 768, 2048),
        new("110M", "ffn down", 2048, 768),
        new("1.1B", "attn q/o", 2048, 2048),
        new("1.1B", "attn k/v", 2048, 256),
        new("1.1B", "ffn up/gate", 2048, 5632),
        new("1.1B", "ffn down", 5632, 2048),
    ];

    /// <summary>Token counts: decode, a cached suffix, and prefills.</summary>
    public static readonly int[] Rows = [1, 32, 128, 512, 2048];
}
