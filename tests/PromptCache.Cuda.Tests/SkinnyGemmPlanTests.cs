using System.Runtime.CompilerServices;
using PromptCache.Cuda.Backend;
using PromptCache.Cuda.Kernels;

namespace PromptCache.Cuda.Tests;

public sealed class SkinnyGemmPlanTests
{
    [Fact]
    public void The_group_struct_matches_the_kernels_80_byte_layout()
    {
        // skinny_gemm.cu: 3 weight pointers, 3 output pointers, int rows[3], int start[4], int count.
        Assert.Equal(80, Unsafe.SizeOf<SkinnyGroupArgs>());
        string source = KernelSource.Read(KernelSource.SkinnyGemm);
        Assert.Contains("const bf16_t* w[3];\n    float* y[3];\n    int rows[3];\n    int start[4];", source.Replace("\r\n", "\n"));
    }

    [Theory]
    [InlineData(64, 4096, 48, SkinnyKernelVariant.Rows64, 0)]     // o projection, Llama-2-7B
    [InlineData(192, 4096, 48, SkinnyKernelVariant.Rows64, 0)]    // q+k+v
    [InlineData(344, 4096, 48, SkinnyKernelVariant.Rows64, 0)]    // gate+up
    [InlineData(64, 11008, 48, SkinnyKernelVariant.Rows64, 0)]    // down
    [InlineData(500, 4096, 1, SkinnyKernelVariant.Rows64, 0)]     // head
    [InlineData(64, 4096, 60, SkinnyKernelVariant.Rows64, 0)]     // 4 m-tiles: one block per SM
    [InlineData(1, 32, 1, SkinnyKernelVariant.Rows64, 0)]
    [InlineData(3, 4000, 17, SkinnyKernelVariant.Rows64, 0)]
    [InlineData(128, 4096, 48, SkinnyKernelVariant.Rows32, 0)]
    [InlineData(128, 11008, 48, SkinnyKernelVariant.Rows32, 0)]
    [InlineData(32, 512, 45, SkinnyKernelVariant.Rows32, 0)]
    [InlineData(64, 4096, 48, SkinnyKernelVariant.Rows64, 3)]
    [InlineData(64, 4096, 48, SkinnyKernelVariant.Rows64Pipelined, 0)]
    [InlineData(128, 11008, 48, SkinnyKernelVariant.Rows32, 8)]
    [InlineData(128, 256, 48, SkinnyKernelVariant.Rows32, 8)]     // more splits asked than slices exist
    public void Splits_cover_k_exactly_with_slices_of_whole_warp_parts(int blocks, int k, int m, SkinnyKernelVariant variant, int forced)
    {
        var split = SkinnyGemmPlan.Choose(blocks, k, m, multiprocessors: 132, variant, forced);
        Assert.True(split.Splits >= 1);
        Assert.Equal(0, split.KSlice % SkinnyGemmPlan.Granule(variant));
        Assert.True((long)split.KSlice * split.Splits >= k, "the slices reach the end of K");
        Assert.True((long)split.KSlice * (split.Splits - 1) < k, "no slice starts past K");
    }

    [Fact]
    public void Few_row_blocks_split_k_and_many_do_not()
    {
        Assert.True(SkinnyGemmPlan.Choose(64, 4096, 48, 132).Splits > 1, "64 blocks alone would leave half the SMs idle");
        Assert.Equal(1, SkinnyGemmPlan.Choose(2004, 4096, 1, 132).Splits);
        Assert.Equal(1, SkinnyGemmPlan.Choose(128, 4096, 48, 132, SkinnyKernelVariant.Rows32).Splits);
        Assert.Equal("skinny_gemm_r32_mt3", SkinnyGemmPlan.Kernel(SkinnyKernelVariant.Rows32, 48));
        Assert.Equal("skinny_gemm_mt1", SkinnyGemmPlan.Kernel(SkinnyKernelVariant.Rows64, 1));
        Assert.Equal("skinny_gemm_p64_mt4", SkinnyGemmPlan.Kernel(SkinnyKernelVariant.Rows64Pipelined, 64));
        Assert.Equal(256, SkinnyGemmPlan.Granule(SkinnyKernelVariant.Rows32));
        Assert.Equal(128, SkinnyGemmPlan.Granule(SkinnyKernelVariant.Rows64Pipelined));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(16, false)]
    [InlineData(4000, true)]
    [InlineData(4100, false)]
    [InlineData(11008, true)]
    public void K_must_be_a_multiple_of_32(int k, bool supported) => Assert.Equal(supported, SkinnyGemmPlan.Supports(k));

    [Fact]
    public void Blocks_round_rows_up_to_whole_64_row_blocks()
    {
        Assert.Equal(16, SkinnyGemmPlan.Blocks(1000, 64));
        Assert.Equal(64, SkinnyGemmPlan.Blocks(4096, 64));
        Assert.Equal(172, SkinnyGemmPlan.Blocks(11008, 64));
        Assert.Equal(344, SkinnyGemmPlan.Blocks(11008, 32));
    }
}
