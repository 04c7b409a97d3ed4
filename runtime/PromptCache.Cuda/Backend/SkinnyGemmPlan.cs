using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// skinny_gemm.cu's <c>SkinnyGroup</c> (80 bytes, passed by value): up to three weight matrices that
/// share one input, their outputs, row counts, and the first block of each.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SkinnyGroupArgs
{
    public Three<ulong> Weights;
    public Three<ulong> Outputs;
    public Three<int> Rows;
    public Four<int> Starts;
    public int Count;

    [InlineArray(3)]
    public struct Three<T>
    {
        private T _first;
    }

    [InlineArray(4)]
    public struct Four<T>
    {
        private T _first;
    }
}

/// <summary>How a skinny GEMM launch is cut: blocks of weight rows, and K splits added with atomics.</summary>
internal static class SkinnyGemmPlan
{
    /// <summary>Threads per block (8 warps).</summary>
    public const uint Threads = 256;

    /// <summary>Weight rows per block (SK_FEATURES).</summary>
    public const int RowsPerBlock = 64;

    /// <summary>The most activation rows (four m-tiles of 16).</summary>
    public const int MaxRows = 64;

    /// <summary>Members per launch.</summary>
    public const int MaxMembers = 3;

    /// <summary>K is cut in slices of a multiple of this (4 warps × 32).</summary>
    public const int SliceGranule = 128;

    /// <summary>The K split of one launch: <see cref="Splits"/> slices of <see cref="KSlice"/> columns (the last may be shorter).</summary>
    public readonly record struct Split(int Splits, int KSlice);

    /// <summary>Whether the kernel takes an inner dimension of <paramref name="k"/> (16-byte loads of 32-column chunks).</summary>
    public static bool Supports(int k) => k > 0 && k % 32 == 0;

    /// <summary>Blocks for <paramref name="rows"/> weight rows.</summary>
    public static int Blocks(int rows) => (rows + RowsPerBlock - 1) / RowsPerBlock;

    /// <summary>
    /// Chooses the K split for <paramref name="blocks"/> row blocks: the fewest block waves times the
    /// work per block (a slice plus a fixed cost for starting the block and reducing its quarters), and
    /// a small charge for splitting at all (zeroing the outputs, atomics). With few activation rows two
    /// blocks fit on an SM; with 49–64 rows only one (the kernel then needs up to 255 registers).
    /// </summary>
    public static Split Choose(int blocks, int k, int m, int multiprocessors)
    {
        if (!Supports(k)) throw new ArgumentException($"K = {k} is not a positive multiple of 32.", nameof(k));
        int resident = Math.Max(1, multiprocessors * (m > 48 ? 1 : 2));
        int maxSplits = Math.Max(1, Math.Min(32, k / SliceGranule));
        var best = new Split(1, RoundUp(k, SliceGranule));
        double bestCost = double.MaxValue;
        for (int s = 1; s <= maxSplits; s++)
        {
            int slice = RoundUp((k + s - 1) / s, SliceGranule);
            int splits = (k + slice - 1) / slice;
            long waves = ((long)blocks * splits + resident - 1) / resident;
            double cost = waves * (slice + 256.0) + (splits > 1 ? 64.0 : 0.0);
            if (cost < bestCost)
            {
                bestCost = cost;
                best = new Split(splits, slice);
            }
        }
        return best;
    }

    private static int RoundUp(int value, int granule) => (value + granule - 1) / granule * granule;
}
