using System.Numerics;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// The class a size is tuned for: rounded up to a power of two. Timing runs (GEMM algorithms, attention
/// key splits) are done once per class rather than per exact size, so a server that sees many suffix
/// lengths, or a decode step whose context grows, does not stop to time again at each new size.
/// </summary>
internal static class TuningClass
{
    /// <summary>The smallest power of two at least <paramref name="size"/> (1 for sizes below 1).</summary>
    public static int Of(int size) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(size, 1));
}
