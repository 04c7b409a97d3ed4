using PromptCache.Engine.Synthetic;

namespace PromptCache.Cli.Commands.Bench;

/// <summary>
/// The floor of a call: its FLOPs at the machine's measured fp32 GEMM peak, plus the weights and the
/// cached K/V each read once at the measured memory bandwidth (BENCHMARKS.md: 375 GFLOP/s and
/// 30 GB/s on the 2-core EPYC).
/// </summary>
internal static class Floor
{
    public const double PeakFlops = 375e9;
    public const double Bandwidth = 30e9;

    /// <summary>FLOPs of <paramref name="newTokens"/> over <paramref name="contextTokens"/> (logits for the last token only).</summary>
    public static double Flops(SyntheticShape s, int newTokens, int contextTokens)
    {
        double embedding = (double)s.VocabSize * s.HiddenSize;
        double layers = 2.0 * newTokens * (s.ParameterCount - embedding);
        double head = 2.0 * embedding;
        // QK^T and PV over everything visible: about 4 · layers · d · (context + new/2) per new token.
        double attention = 4.0 * s.LayerCount * s.HiddenSize * (contextTokens + newTokens / 2.0) * newTokens;
        return layers + head + attention;
    }

    public static double Seconds(SyntheticShape s, int newTokens, int contextTokens, int kvBytesPerValue)
    {
        double weights = (double)s.ParameterCount * s.WeightBytes;
        double kv = 2.0 * s.LayerCount * s.KvHeadCount * s.HeadDim * (double)contextTokens * kvBytesPerValue;
        return Flops(s, newTokens, contextTokens) / PeakFlops + (weights + kv) / Bandwidth;
    }
}
