using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// skinny_wgmma.cu's <c>SkinnyWgmmaArgs</c> (448 bytes, passed by value): up to three weight matrices that share one input,
/// each read through its tensor map, their outputs and row counts, and the first row tile of each.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 448)]
internal struct SkinnyWgmmaArgs
{
    public Maps Weights;
    public SkinnyGroupArgs.Three<ulong> Outputs;
    public SkinnyGroupArgs.Three<int> Rows;
    public SkinnyGroupArgs.Four<int> Tiles;
    public int Count;

    [InlineArray(3)]
    public struct Maps
    {
        private TensorMap _first;
    }
}

/// <summary>How skinny_wgmma.cu cuts a launch: its constants, token tiles, shared memory and grid.</summary>
internal static class SkinnyWgmmaPlan
{
    /// <summary>Threads per block: a producer warpgroup and a consumer warpgroup.</summary>
    public const uint Threads = 256;

    /// <summary>Weight rows per tile (SKW_SLABS m64 slabs), and rows per box of a weight's tensor map (one slab).</summary>
    public const int TileRows = 128, BoxRows = 64;

    /// <summary>K columns per step (SKW_BK: one 128-byte swizzled row of bf16).</summary>
    public const int StepColumns = 64;

    /// <summary>Shared memory for stages (SKW_SMEM_BUDGET) and the most stages (SKW_MAX_STAGES).</summary>
    public const int StageBudget = 196_608, MaxStages = 8;

    /// <summary>The static shared memory beside the stages: 4 warps × 64 tokens × 20 floats (skw_turn).</summary>
    public const int StaticSharedBytes = 4 * 64 * 20 * sizeof(float);

    /// <summary>The most activation rows.</summary>
    public const int MaxRows = 64;

    /// <summary>Whether the kernel takes <paramref name="m"/> rows of inner dimension <paramref name="k"/> (TMA's 16-byte rows).</summary>
    public static bool Supports(int m, int k) => m is >= 1 and <= MaxRows && k > 0 && k % 8 == 0;

    /// <summary>The kernel's token tile for <paramref name="m"/> activation rows: 8, 16, 32, 48 or 64.</summary>
    public static int TokenTile(int m) => m switch
    {
        < 1 or > MaxRows => throw new ArgumentOutOfRangeException(nameof(m), m, $"The wgmma skinny GEMM takes 1 to {MaxRows} rows."),
        <= 8 => 8,
        <= 16 => 16,
        <= 32 => 32,
        <= 48 => 48,
        _ => 64,
    };

    /// <summary>The kernel for <paramref name="m"/> activation rows.</summary>
    public static string Kernel(int m) => "skinny_wgmma_n" + TokenTile(m);

    /// <summary>Bytes of one stage: a weight tile and the token tile's activations, 64 columns each.</summary>
    public static int StageBytes(int tokenTile) => (TileRows + tokenTile) * StepColumns * sizeof(ushort);

    /// <summary>Stages in the ring for <paramref name="tokenTile"/>.</summary>
    public static int Stages(int tokenTile) => Math.Min(MaxStages, StageBudget / StageBytes(tokenTile));

    /// <summary>Dynamic shared memory for <paramref name="m"/> rows: the stages, 1 KB of alignment slack, two barriers per stage.</summary>
    public static int SharedBytes(int m)
    {
        int tile = TokenTile(m), stages = Stages(tile);
        return stages * StageBytes(tile) + 1024 + 2 * stages * sizeof(ulong);
    }

    /// <summary>Row tiles of a matrix of <paramref name="rows"/> rows.</summary>
    public static int Tiles(int rows) => (rows + TileRows - 1) / TileRows;

    /// <summary>Blocks: one per SM, or one per (tile, step) unit when there are fewer.</summary>
    public static int Grid(int tiles, int k, int multiprocessors) =>
        (int)Math.Max(1, Math.Min(multiprocessors, (long)tiles * ((k + StepColumns - 1) / StepColumns)));
}
