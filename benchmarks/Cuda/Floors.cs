using PromptCache.Runtime.Models;

namespace PromptCache.Cuda.Bench;

/// <summary>
/// Lower bounds for a forward call from the H100 ceilings of shared/BENCHMARKS.md: FLOPs over the
/// measured bf16 GEMM rate, bytes over the measured copy bandwidth. The larger one is the floor.
/// </summary>
internal static class Floors
{
    public const double GemmFlopsPerSecond = 774e12;
    public const double BytesPerSecond = 2.99e12;

    /// <summary>
    /// FLOPs of <paramref name="newTokens"/> tokens attending to <paramref name="context"/> cached tokens plus causally to
    /// each other, with logits for the last row: the last layer needs every row's K/V but the rest only for that row.
    /// </summary>
    public static double Flops(ModelConfig c, long newTokens, long context)
    {
        double perTokenLinear = 2.0 * ((double)c.HiddenSize * (c.QueryDim + 2 * c.KvDim) + (double)c.QueryDim * c.HiddenSize + 3.0 * c.HiddenSize * c.FfnSize);
        double kvLinear = 2.0 * c.HiddenSize * 2 * c.KvDim;
        // Scores and weighted sum: 2 products of 2 FLOPs per (query, key, head dim, head).
        double perKeySeen = 4.0 * c.HeadDim * c.HeadCount;
        double keysSeen = newTokens * (double)context + newTokens * (newTokens + 1) / 2.0;
        double layer = perTokenLinear * newTokens + perKeySeen * keysSeen;
        double lastLayer = kvLinear * newTokens + (perTokenLinear - kvLinear) + perKeySeen * (context + newTokens);
        return (c.LayerCount - 1) * layer + lastLayer + 2.0 * c.HiddenSize * c.VocabSize;
    }

    /// <summary>Bytes that must move: every matrix once in bf16 (the embedding table is only gathered) plus the context's K/V once.</summary>
    public static double Bytes(ModelConfig c, long context)
    {
        double layer = 2.0 * ((double)c.HiddenSize * (c.QueryDim + 2 * c.KvDim) + (double)c.QueryDim * c.HiddenSize + 3.0 * c.HiddenSize * c.FfnSize);
        double head = 2.0 * c.HiddenSize * c.VocabSize;
        double kv = 2.0 * 2 * c.LayerCount * c.KvDim * context;
        return c.LayerCount * layer + head + kv;
    }

    public static double Milliseconds(ModelConfig c, long newTokens, long context) =>
        1e3 * Math.Max(Flops(c, newTokens, context) / GemmFlopsPerSecond, Bytes(c, context) / BytesPerSecond);
}
