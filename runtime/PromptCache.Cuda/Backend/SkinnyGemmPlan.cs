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

    /// <summary>The most activation rows (four m-tiles of 16).</summary>
    public const int MaxRows = 64;

    /// <summary>Members per launch.</summary>
    public const int MaxMembers = 3;

    /// <summary>The K split of one launch: <see cref="Splits"/> slices of <see cref="KSlice"/> columns (the last may be shorter).</summary>
    public readonly record struct Split(int Splits, int KSlice);

    /// <summary>Whether the kernel takes an inner dimension of <paramref name="k"/> (16-byte loads of 32-column chunks).</summary>
    public static bool Supports(int k) => k > 0 && k % 32 == 0;

    /// <summary>Weight rows per block of <paramref name="variant"/>.</summary>
    public static int BlockRows(SkinnyKernelVariant variant) => variant == SkinnyKernelVariant.Rows32 ? 32 : 64;

    /// <summary>Blocks for <paramref name="rows"/> weight rows.</summary>
    public static int Blocks(int rows, int blockRows) => (rows + blockRows - 1) / blockRows;

    /// <summary>K columns a slice is a multiple of: 32 per warp along K (8 warps for 32-row blocks, 4 for 64).</summary>
    public static int Granule(SkinnyKernelVariant variant) => variant == SkinnyKernelVariant.Rows32 ? 256 : 128;

    /// <summary>The kernel of <paramref name="variant"/> for <paramref name="m"/> activation rows.</summary>
    public static string Kernel(SkinnyKernelVariant variant, int m) => variant switch
    {
        SkinnyKernelVariant.Rows32 => "skinny_gemm_r32_mt",
        SkinnyKernelVariant.Rows64Pipelined => "skinny_gemm_p64_mt",
        _ => "skinny_gemm_mt",
    } + ((m + 15) / 16);

    /// <summary>Blocks of one SM at a time: the plain 64-row kernel for up to 48 rows fits two, the others one.</summary>
    public static int Resident(SkinnyKernelVariant variant, int m) => variant is SkinnyKernelVariant.Rows64 or SkinnyKernelVariant.Auto && m <= 48 ? 2 : 1;

    /// <summary>
    /// Chooses the K split for <paramref name="blocks"/> row blocks: the fewest block waves times the
    /// work per block (a slice plus a fixed cost for starting the block and reducing its warps), and
    /// a charge for splitting at all (zeroing the outputs, atomics). <paramref name="forced"/> &gt; 0
    /// asks for that many splits (rounded to whole slices).
    /// </summary>
    public static Split Choose(int blocks, int k, int m, int multiprocessors, SkinnyKernelVariant variant = SkinnyKernelVariant.Rows64, int forced = 0)
    {
        if (!Supports(k)) throw new ArgumentException($"K = {k} is not a positive multiple of 32.", nameof(k));
        int granule = Granule(variant);
        if (forced > 0) return Make(k, forced, granule);
        int resident = Math.Max(1, multiprocessors * Resident(variant, m));
        int maxSplits = Math.Max(1, Math.Min(32, k / granule));
        var best = Make(k, 1, granule);
        double bestCost = double.MaxValue;
        for (int s = 1; s <= maxSplits; s++)
        {
            var split = Make(k, s, granule);
            long waves = ((long)blocks * split.Splits + resident - 1) / resident;
            // Atomics: every split adds m × rows outputs; charged as extra columns streamed.
            double cost = waves * (split.KSlice + 256.0) + (split.Splits > 1 ? 128.0 * split.Splits : 0.0);
            if (cost < bestCost)
            {
                bestCost = cost;
                best = split;
            }
        }
        return best;
    }

    private static Split Make(int k, int splits, int granule)
    {
        int slice = RoundUp((k + splits - 1) / splits, granule);
        return new Split((k + slice - 1) / slice, slice);
    }

    private static int RoundUp(int value, int granule) => (value + granule - 1) / granule * granule;
}
