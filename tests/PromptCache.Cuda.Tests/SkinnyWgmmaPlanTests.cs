using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using PromptCache.Cuda.Backend;
using PromptCache.Cuda.Kernels;

namespace PromptCache.Cuda.Tests;

/// <summary>The host side of skinny_wgmma.cu: its argument struct, constants, token tiles, shared memory and grid.</summary>
public sealed class SkinnyWgmmaPlanTests
{
    private static readonly string Source = KernelSource.Read(KernelSource.SkinnyWgmma).Replace("\r\n", "\n");

    [Fact]
    public void The_argument_struct_matches_the_kernels_448_byte_layout()
    {
        // skinny_wgmma.cu: TmaMap w[3] (128 bytes each, 64-byte aligned), float* y[3], int rows[3], int tiles[4], int count;
        // 440 bytes padded to the maps' 64-byte alignment.
        Assert.Contains("TmaMap w[3];", Source);
        Assert.Matches(@"float\* y\[3\];[^\n]*\n\s*int rows\[3\];\n\s*int tiles\[4\];[^\n]*\n\s*int count;", Source);
        var args = new SkinnyWgmmaArgs();
        Assert.Equal(448, Unsafe.SizeOf<SkinnyWgmmaArgs>());
        Assert.Equal(384, Offset(ref args, ref Unsafe.As<SkinnyGroupArgs.Three<ulong>, byte>(ref args.Outputs)));
        Assert.Equal(408, Offset(ref args, ref Unsafe.As<SkinnyGroupArgs.Three<int>, byte>(ref args.Rows)));
        Assert.Equal(420, Offset(ref args, ref Unsafe.As<SkinnyGroupArgs.Four<int>, byte>(ref args.Tiles)));
        Assert.Equal(436, Offset(ref args, ref Unsafe.As<int, byte>(ref args.Count)));
    }

    [Fact]
    public void The_constants_are_the_kernels()
    {
        Assert.Equal(SkinnyWgmmaPlan.StepColumns, Define("SKW_BK"));
        Assert.Equal(SkinnyWgmmaPlan.TileRows, 64 * Define("SKW_SLABS"));
        Assert.Equal(SkinnyWgmmaPlan.StageBudget, Define("SKW_SMEM_BUDGET"));
        Assert.Equal(SkinnyWgmmaPlan.MaxStages, Define("SKW_MAX_STAGES"));
        Assert.Equal(SkinnyWgmmaPlan.StaticSharedBytes, 4 * 64 * Define("SKW_TURN_STRIDE") * sizeof(float));
        Assert.Contains("float skw_turn[4][64][SKW_TURN_STRIDE];", Source);
        Assert.Equal(TensorMap.BoxColumns, SkinnyWgmmaPlan.StepColumns);
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(8, 8)]
    [InlineData(9, 16)]
    [InlineData(17, 32)]
    [InlineData(45, 48)]
    [InlineData(48, 48)]
    [InlineData(49, 64)]
    [InlineData(64, 64)]
    public void Rows_round_up_to_a_token_tile_the_kernels_exist_for(int m, int tile)
    {
        Assert.Equal(tile, SkinnyWgmmaPlan.TokenTile(m));
        Assert.Equal($"skinny_wgmma_n{tile}", SkinnyWgmmaPlan.Kernel(m));
        Assert.Contains($"void __launch_bounds__(256, 1) skinny_wgmma_n{tile}(", Source);
        Assert.Contains($"skinny_wgmma_body<{tile}>(g, &mapX, m, k)", Source);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public void Row_counts_outside_1_to_64_are_refused_by_name(int m)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SkinnyWgmmaPlan.TokenTile(m));
        Assert.Contains("1 to 64 rows", e.Message);
        Assert.False(SkinnyWgmmaPlan.Supports(m, 4096));
    }

    [Theory]
    [InlineData(4096, true)]
    [InlineData(1000, true)]  // a partial last step reads zeros
    [InlineData(1004, false)] // rows of 2008 bytes: not whole 16 bytes for the copy engine
    [InlineData(0, false)]
    public void The_inner_dimension_must_be_whole_16_byte_rows(int k, bool supported) =>
        Assert.Equal(supported, SkinnyWgmmaPlan.Supports(48, k));

    [Fact]
    public void Every_token_tile_fits_an_h100_block_with_at_least_four_stages()
    {
        foreach (int m in new[] { 1, 16, 32, 48, 64 })
        {
            int tile = SkinnyWgmmaPlan.TokenTile(m);
            // 227 KB of shared memory per block, dynamic and static together.
            Assert.True(SkinnyWgmmaPlan.SharedBytes(m) + SkinnyWgmmaPlan.StaticSharedBytes <= 227 * 1024, $"{tile} tokens");
            Assert.True(SkinnyWgmmaPlan.Stages(tile) >= 4, $"{tile} tokens");
            Assert.Equal(0, SkinnyWgmmaPlan.StageBytes(tile) % 1024); // the 128-byte swizzle's 1 KB atoms stay aligned
        }
        Assert.Equal(8, SkinnyWgmmaPlan.Stages(64)); // (128 + 64) rows × 128 bytes = 24 KB per stage
        Assert.Equal(8 * 24_576 + 1024 + 128, SkinnyWgmmaPlan.SharedBytes(64));
    }

    [Theory]
    [InlineData(32, 4096, 132, 132)] // o projection of a 7B layer: 32 tiles × 64 steps over every SM
    [InlineData(1, 64, 132, 1)]      // one tile of one step: one block
    [InlineData(2, 100, 132, 4)]     // two tiles of two steps (the second partial)
    [InlineData(0, 4096, 132, 1)]
    public void The_grid_is_one_block_per_sm_or_per_unit(int tiles, int k, int sms, int grid) =>
        Assert.Equal(grid, SkinnyWgmmaPlan.Grid(tiles, k, sms));

    [Fact]
    public void Row_tiles_cover_every_weight_row()
    {
        Assert.Equal(32, SkinnyWgmmaPlan.Tiles(4096));
        Assert.Equal(86, SkinnyWgmmaPlan.Tiles(11008)); // 86 × 128
        Assert.Equal(8, SkinnyWgmmaPlan.Tiles(1000));   // the last tile's rows past 1000 read zeros and are not stored
    }

    private static int Define(string name)
    {
        var match = Regex.Match(Source, $@"#define {name} (\d+)");
        Assert.True(match.Success, name + " not defined");
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int Offset(ref SkinnyWgmmaArgs args, ref byte field) =>
        (int)Unsafe.ByteOffset(ref Unsafe.As<SkinnyWgmmaArgs, byte>(ref args), ref field);
}
