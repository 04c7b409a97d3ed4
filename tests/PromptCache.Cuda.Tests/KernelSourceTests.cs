using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using PromptCache.Cuda.Backend;
using PromptCache.Cuda.Device;
using PromptCache.Cuda.Kernels;

namespace PromptCache.Cuda.Tests;

public sealed partial class KernelSourceTests
{
    [GeneratedRegex(@"extern ""C"" __global__ void (?:__cluster_dims__\([\d, ]+\) )?(?:__launch_bounds__\([\d, ]+\) )?(\w+)\(")]
    private static partial Regex KernelDeclaration();

    [Fact]
    public void All_kernel_sources_are_embedded()
    {
        Assert.Equal(["attention.cu", "attention_pipelined.cu", "attention_wgmma.cu", "common.cuh", "fused_norm.cu", "gemm_wgmma.cu", "group_split.cu", "skinny_gemm.cu", "skinny_wgmma.cu", "transformer.cu"], KernelSource.Names());
    }

    [Fact]
    public void The_kernels_the_launchers_call_are_defined_in_the_sources()
    {
        // The names DeviceKernels passes to cuModuleGetFunction; a typo would only show on a GPU.
        string[] transformer =
        [
            "convert_f32_to_bf16", "convert_f16_to_bf16", "convert_bf16_to_f32", "convert_bf16_to_f16", "dequant_q8_0_to_bf16",
            "fill_random_bf16", "embed_bf16", "rmsnorm", "rmsnorm_warp", "rope", "silu_mul", "add_inplace", "add_bias",
            "store_kv_bf16", "argmax_rows",
        ];
        string[] attention = ["attention_simple", "attention_combine", "attention_tiled", "attention_tiled_ldm"];
        Assert.Equal(transformer.Order(), Declared(KernelSource.Transformer).Order());
        Assert.Equal(attention.Order(), Declared(KernelSource.Attention).Order());
        Assert.Equal(["attention_pipelined", "attention_pipelined_wide"], Declared(KernelSource.AttentionPipelined).Order());
        Assert.Equal(["attention_wgmma", "attention_wgmma_groups", "attention_wgmma_rows", "attention_wgmma_rows_wide", "attention_wgmma_wide", "attention_wgmma_ws", "attention_wgmma_ws_tma", "attention_wgmma_ws128"], Declared(KernelSource.AttentionWgmma).Order());
        Assert.Equal(["skinny_gemm_mt1", "skinny_gemm_mt2", "skinny_gemm_mt3", "skinny_gemm_mt4", "skinny_gemm_p64_mt1", "skinny_gemm_p64_mt2", "skinny_gemm_p64_mt3", "skinny_gemm_p64_mt4", "skinny_gemm_r32_mt1", "skinny_gemm_r32_mt2", "skinny_gemm_r32_mt3", "skinny_gemm_r32_mt4", "skinny_zero"], Declared(KernelSource.SkinnyGemm).Order());
        Assert.Equal(["add_rmsnorm4", "rope_rows", "rope_store_kv"], Declared(KernelSource.FusedNorm).Order());
        Assert.Equal(["silu_mul_bf16", "silu_mul_concat", "split_columns"], Declared(KernelSource.GroupSplit).Order());
        Assert.Equal(["swiglu_gemm", "swiglu_gemm_paired"], Declared(KernelSource.GemmWgmma));
        Assert.Equal(new[] { 1, 9, 17, 33, 49 }.Select(SkinnyWgmmaPlan.Kernel).Append("skinny_wgmma_zero").Order(), Declared(KernelSource.SkinnyWgmma).Order());
    }

    [Fact]
    public void The_swiglu_gemm_matches_its_launcher()
    {
        // DeviceKernels.SwiGluGemm passes three tensor maps by value, then these, in this order.
        string source = KernelSource.Read(KernelSource.GemmWgmma);
        Assert.Equal("const __grid_constant__ TmaMap mapX, const __grid_constant__ TmaMap mapGate, const __grid_constant__ TmaMap mapUp, " +
            "bf16_t* __restrict__ h, int m, int f, int k", Parameters(source, "swiglu_gemm"));
        Assert.Contains("__launch_bounds__(384, 1) swiglu_gemm(", source);
        // The paired kernel takes the same parameters, in clusters of two blocks (its launcher makes the grid even).
        Assert.Equal(Parameters(source, "swiglu_gemm"), Parameters(source, "swiglu_gemm_paired"));
        Assert.Contains("__cluster_dims__(2, 1, 1) __launch_bounds__(384, 1) swiglu_gemm_paired(", source);
        Assert.Contains($"#define GEMM_STAGES {DeviceKernels.SwiGluStages}\n", source);
        Assert.Contains($"#define GEMM_BM {DeviceKernels.SwiGluTileRows}\n", source);
        Assert.Contains($"#define GEMM_BN {DeviceKernels.SwiGluTileColumns} ", source);
        Assert.Contains($"#define GEMM_BK {TensorMap.BoxColumns} ", source);
        // 4 stages × (128 + 2 × 128 rows) × 64 bf16, 1 KB of alignment slack, 8 barriers: within the H100's 227 KB per block.
        Assert.Equal(197_696, DeviceKernels.SwiGluSharedBytes);
        Assert.True(DeviceKernels.SwiGluSharedBytes <= 227 * 1024);
        // The kernel's TmaMap and the driver's CUtensorMap are 128 bytes.
        Assert.Equal(128, Unsafe.SizeOf<TensorMap>());
        Assert.Matches(@"struct __align__\(64\) TmaMap\s*\{\s*u64 words\[16\];", KernelSource.Read(KernelSource.Common));
    }

    [Theory]
    [InlineData(0x1008ul, 64)] // the driver needs a 16-byte aligned address
    [InlineData(0x1000ul, 12)] // and rows of a multiple of 16 bytes
    public void A_tensor_map_refuses_what_the_copy_engine_cannot_read(ulong address, int cols)
    {
        var e = Assert.Throws<ArgumentException>(() => TensorMap.Bf16Rows(address, 128, cols, 128));
        Assert.Contains($"{cols} columns", e.Message);
    }

    [Theory]
    [InlineData(0x1008ul, 128, 1024)] // unaligned rows
    [InlineData(0x1000ul, 96, 768)]   // a head dimension the 64-dim boxes do not tile
    [InlineData(0x1000ul, 128, 1020)] // rows that are not whole 16-byte units
    public void A_kv_tensor_map_refuses_what_the_copy_engine_cannot_read(ulong address, int headDim, int rowStride)
    {
        var e = Assert.Throws<ArgumentException>(() => TensorMap.KvRows(address, headDim, 8, 4096, rowStride));
        Assert.Contains($"head dim {headDim}, row stride {rowStride}", e.Message);
    }

    [Fact]
    public void The_copy_engine_attention_refuses_more_segments_than_its_maps_hold()
    {
        // The backend then keeps the cp.async loads (CopyEngineMaps); the error names the limit and the count.
        var list = new KvList { Count = KvMaps.Segments + 1, Stride = 1024 };
        var e = Assert.Throws<ArgumentException>(() => KvMaps.For(list, 64, 128, 8));
        Assert.Contains($"at most {KvMaps.Segments} segments ({KvMaps.Segments + 1} here)", e.Message);
    }

    [Fact]
    public void The_group_split_kernels_take_the_launchers_arguments_in_order()
    {
        // DeviceKernels.SplitColumns / SiluMulConcat pass their arguments in exactly this order and these types.
        string source = KernelSource.Read(KernelSource.GroupSplit);
        Assert.Equal("const float* __restrict__ y, int total, float* __restrict__ out0, int n0, float* __restrict__ out1, int n1, float* __restrict__ out2, int n2",
            Parameters(source, "split_columns"));
        Assert.Equal("const float* __restrict__ y, int f, float* __restrict__ gate, float* __restrict__ up, bf16_t* __restrict__ gb",
            Parameters(source, "silu_mul_concat"));
    }

    [Fact]
    public void The_kernels_that_can_write_only_bf16_take_the_launchers_arguments_in_order()
    {
        // DeviceKernels.SiluMul / AttentionCombine / AttentionWgmma pass the optional bf16 output in these places.
        Assert.Equal("const float* gate, const float* __restrict__ up, float* out, i64 n, bf16_t* __restrict__ gb",
            Parameters(KernelSource.Read(KernelSource.Transformer), "silu_mul"));
        Assert.Equal("const float* __restrict__ part_o, const float* __restrict__ part_ml, float* __restrict__ out, bf16_t* __restrict__ outb, int m, int heads, int splits",
            Parameters(KernelSource.Read(KernelSource.Attention), "attention_combine"));
        string wgmma = Parameters(KernelSource.Read(KernelSource.AttentionWgmma), "attention_wgmma");
        Assert.Equal("const float* __restrict__ q, float* __restrict__ out, bf16_t* __restrict__ outb, float* __restrict__ part_o, float* __restrict__ part_ml, " +
            "int m, int heads, int kvheads, float scale_log2, int splits, KvList list, QueryRope rope", wgmma);
        Assert.Equal(wgmma, Parameters(KernelSource.Read(KernelSource.AttentionWgmma), "attention_wgmma_wide"));
        Assert.Equal(wgmma, Parameters(KernelSource.Read(KernelSource.AttentionWgmma), "attention_wgmma_ws")); // DeviceKernels.AttentionWgmma, warp-specialised
        // The copy-engine variant takes the tensor maps and the persistent blocks' ticket counters after the same arguments
        // (DeviceKernels.AttentionWgmma with maps).
        Assert.Equal(wgmma + ", const __grid_constant__ KvMaps maps, int* tickets", Parameters(KernelSource.Read(KernelSource.AttentionWgmma), "attention_wgmma_ws_tma"));
        Assert.Equal(wgmma + ", const __grid_constant__ KvMaps maps, int* tickets", Parameters(KernelSource.Read(KernelSource.AttentionWgmma), "attention_wgmma_ws128"));
        Assert.Equal(2 * KvMaps.Segments * 128, Unsafe.SizeOf<KvMaps>());
        Assert.Contains($"#define WS_TMA_SEGMENTS {KvMaps.Segments}\n", KernelSource.Read(KernelSource.AttentionWgmma));
        // DeviceKernels.AttentionWgmmaGroups: the row groups replace m and the list.
        Assert.Equal("const float* __restrict__ q, float* __restrict__ out, bf16_t* __restrict__ outb, float* __restrict__ part_o, float* __restrict__ part_ml, " +
            "int heads, int kvheads, float scale_log2, int splits, KvGroups groups, QueryRope rope", Parameters(KernelSource.Read(KernelSource.AttentionWgmma), "attention_wgmma_groups"));
        // DeviceKernels.AttentionWgmmaRows: the row limits follow the list.
        string rows = Parameters(KernelSource.Read(KernelSource.AttentionWgmma), "attention_wgmma_rows");
        Assert.Equal("const float* __restrict__ q, float* __restrict__ out, bf16_t* __restrict__ outb, float* __restrict__ part_o, float* __restrict__ part_ml, " +
            "int m, int heads, int kvheads, float scale_log2, int splits, KvList list, RowLimits limits, QueryRope rope", rows);
        Assert.Equal(rows, Parameters(KernelSource.Read(KernelSource.AttentionWgmma), "attention_wgmma_rows_wide"));
    }

    [Fact]
    public void The_fused_rope_store_takes_the_launchers_arguments_in_order()
    {
        // DeviceKernels.RopeStoreKv passes exactly these, in this order.
        Assert.Equal("const float* __restrict__ k, const float* __restrict__ v, bf16_t* __restrict__ kdst, " +
            "bf16_t* __restrict__ vdst, const float* __restrict__ cosT, const float* __restrict__ sinT, int heads, int half, int interleaved",
            Parameters(KernelSource.Read(KernelSource.FusedNorm), "rope_store_kv"));
    }

    [Fact]
    public void The_query_rope_matches_the_cuda_struct()
    {
        // attention_wgmma.cu: QueryRope { const float* cos; const float* sin; int half; int interleaved; }.
        Assert.Equal(24, Unsafe.SizeOf<QueryRope>());
        string source = KernelSource.Read(KernelSource.AttentionWgmma);
        Assert.Matches(@"struct QueryRope\s*\{\s*const float\* cos;\s*const float\* sin;\s*int half;\s*int interleaved;", source);
    }

    [Theory]
    [InlineData(32, 64, false, true)]   // Llama-2-7B's k rows
    [InlineData(8, 64, false, true)]    // Llama-3-8B's
    [InlineData(2, 3, false, false)]    // odd half: rotate_half pairs cannot be read two at a time
    [InlineData(1, 3, true, false)]     // a row of 6 floats is not whole float4s
    [InlineData(2, 3, true, true)]      // 12 floats: interleaved pairs
    public void The_fused_rope_store_takes_rows_its_vector_accesses_fit(int heads, int half, bool interleaved, bool fits) =>
        Assert.Equal(fits, DeviceKernels.RopeStoreKvFits(heads, half, interleaved, 0x1000, 0x2000, 0x3000, 0x4000));

    [Fact]
    public void The_fused_rope_store_refuses_misaligned_rows()
    {
        Assert.False(DeviceKernels.RopeStoreKvFits(32, 64, false, 0x1008, 0x2000, 0x3000, 0x4000));
        Assert.False(DeviceKernels.RopeStoreKvFits(32, 64, false, 0x1000, 0x2000, 0x3004, 0x4000));
        Assert.True(DeviceKernels.RopeStoreKvFits(32, 64, false, 0x1000, 0x2010, 0x3008, 0x4008));
    }

    [Theory]
    [InlineData(48, 4096, 4)]    // a cached call's 48 tokens of a 7B row: as many blocks as give 256 threads a pair each
    [InlineData(1, 4096, 4)]     // a decode step
    [InlineData(48, 1024, 1)]    // Llama-3-8B's k rows: one block already gives every thread a pair
    [InlineData(100, 4096, 2)]   // about two blocks per multiprocessor over all the tokens
    [InlineData(4096, 4096, 1)]  // a prefill: a block per token fills the GPU
    public void The_fused_rope_store_splits_few_tokens_over_several_blocks(int tokens, int width, int blocks) =>
        Assert.Equal(blocks, DeviceKernels.RopeStoreKvBlocksPerToken(tokens, width, multiprocessors: 132));

    [Fact]
    public void The_fused_rope_store_strides_over_its_blocks_of_a_token()
    {
        string source = KernelSource.Read(KernelSource.FusedNorm);
        Assert.Contains("const int first = blockIdx.y * blockDim.x + threadIdx.x, stride = gridDim.y * blockDim.x;", source);
        Assert.Equal(3, source.Split("; p += stride)").Length + source.Split("; j += stride)").Length - 2);
    }

    [Fact]
    public void The_pipelined_unit_is_attention_cu_then_its_own_file_each_behind_a_line_directive()
    {
        // attention_pipelined.cu uses attention.cu's helpers, so it must come second in its unit.
        string unit = KernelSource.Unit([KernelSource.Attention, KernelSource.AttentionPipelined]);
        int first = unit.IndexOf("#line 1 \"attention.cu\"", StringComparison.Ordinal);
        int helper = unit.IndexOf("void mma_bf16_16816", StringComparison.Ordinal);
        int second = unit.IndexOf("#line 1 \"attention_pipelined.cu\"", StringComparison.Ordinal);
        int user = unit.IndexOf("attention_pipelined_body", StringComparison.Ordinal);
        Assert.True(first >= 0 && first < helper && helper < second && second < user, "attention.cu (with its helpers), then attention_pipelined.cu");
        Assert.Equal(KernelSource.Unit(KernelSource.Attention), KernelSource.Unit([KernelSource.Attention]));
    }

    [Fact]
    public void The_pipelined_kernels_take_the_tiled_kernels_parameters()
    {
        // DeviceKernels.AttentionPipelined passes the same argument list as AttentionTiled.
        string tiled = Parameters(KernelSource.Read(KernelSource.Attention), "attention_tiled_ldm");
        Assert.Contains("int splits, KvList list", tiled);
        Assert.Equal(tiled, Parameters(KernelSource.Read(KernelSource.AttentionPipelined), "attention_pipelined"));
        Assert.Equal(tiled, Parameters(KernelSource.Read(KernelSource.AttentionPipelined), "attention_pipelined_wide"));
    }

    private static string Parameters(string source, string kernel)
    {
        var match = Regex.Match(source, @"__global__ void (?:__cluster_dims__\([\d, ]+\) )?(?:__launch_bounds__\([\d, ]+\) )?" + kernel + @"\(([^)]*)\)");
        Assert.True(match.Success, kernel + " not found");
        return Regex.Replace(match.Groups[1].Value, @"\s+", " ").Trim();
    }

    [Fact]
    public void The_pipelined_kernels_only_exist_where_the_tiled_helpers_do_and_the_head_dim_is_a_multiple_of_32()
    {
        string source = KernelSource.Read(KernelSource.AttentionPipelined);
        Assert.Contains("#if defined(HAS_TILED_ATTENTION) && (HEAD_DIM % 32 == 0)", source);
        Assert.Contains("#define HAS_TILED_ATTENTION 1", KernelSource.Read(KernelSource.Attention));
    }

    [Theory]
    [InlineData(128, true)]
    [InlineData(64, true)]
    [InlineData(96, true)]
    [InlineData(32, true)]
    [InlineData(80, false)]
    [InlineData(16, false)]
    [InlineData(0, false)]
    [InlineData(256, false)]
    public void The_pipelined_kernel_takes_head_dims_that_are_multiples_of_32_up_to_128(int headDim, bool supported) =>
        Assert.Equal(supported, CudaBackend.PipelinedSupported(headDim));

    [Fact]
    public void Pipelined_shared_memory_fits_the_sm80_and_sm90_opt_in_limits()
    {
        // 2 stages × K,V × 64 keys × (head_dim + 8) bf16: above the 48 KB default, so the opt-in is needed.
        int bytes = DeviceKernels.PipelinedSharedBytes(128);
        Assert.Equal(69_632, bytes);
        Assert.True(bytes > 48 * 1024);
        Assert.Equal(36_864, DeviceKernels.PipelinedSharedBytes(64));
        Assert.Contains($"#define PSTAGES {DeviceKernels.PipelinedStages}\n", KernelSource.Read("attention_pipelined.cu"));
        Assert.Contains($"#define MAX_SPLITS {DeviceKernels.MaxAttentionSplits}\n", KernelSource.Read("attention.cu"));
        Assert.True(bytes <= 163 * 1024, "sm_80 allows 163 KB of dynamic shared memory per block");
        Assert.Equal(64, DeviceKernels.PipelinedRows(false));
        Assert.Equal(128, DeviceKernels.PipelinedRows(true));
    }

    [Fact]
    public void Wgmma_shared_memory_matches_the_kernels_and_leaves_room_for_two_blocks_per_sm()
    {
        // 2 stages × K,V × 64 keys × head_dim bf16, Q (64 or 128 rows × head_dim bf16), + 1 KB to align the swizzled tiles.
        Assert.Equal(82_944, DeviceKernels.WgmmaSharedBytes(128, wide: false));
        Assert.Equal(99_328, DeviceKernels.WgmmaSharedBytes(128, wide: true));
        Assert.Equal(41_984, DeviceKernels.WgmmaSharedBytes(64, wide: false));
        Assert.True(2 * (DeviceKernels.WgmmaSharedBytes(128, wide: true) + 1024) <= 228 * 1024, "the H100 has 228 KB of shared memory per SM (1 KB per block reserved)");
        Assert.True(DeviceKernels.WgmmaSupported(64) && DeviceKernels.WgmmaSupported(128) && !DeviceKernels.WgmmaSupported(96));
        string source = KernelSource.Read(KernelSource.AttentionWgmma);
        Assert.Contains($"#define WG_STAGES {DeviceKernels.WgmmaStages} ", source);
        Assert.Contains("__launch_bounds__(128, 3) attention_wgmma(", source);
        Assert.Contains("__launch_bounds__(256, 2) attention_wgmma_wide(", source);
        Assert.Equal(64, DeviceKernels.WgmmaRows(wide: false));
        Assert.Equal(128, DeviceKernels.WgmmaRows(wide: true));
    }

    [Fact]
    public void The_hopper_kernels_give_their_warps_roles_by_a_warp_uniform_index()
    {
        // Branching on threadIdx.x hides from the compiler that whole warps take each branch, and it then keeps the
        // tile arithmetic out of the uniform datapath: 15-20 % slower kernels on the H100 (RESULTS.md, session 12).
        const string warpUniform = "__shfl_sync(0xffffffffu, threadIdx.x >> 5, 0)";
        string attention = KernelSource.Read(KernelSource.AttentionWgmma), gemm = KernelSource.Read(KernelSource.GemmWgmma);
        Assert.Equal(3, attention.Split(warpUniform).Length - 1); // attention_wgmma_body, attention_ws_body and attention_wgmma_ws128
        Assert.Contains(warpUniform, gemm);
        Assert.DoesNotContain("if (threadIdx.x < 128)", attention);
        Assert.DoesNotContain("if (threadIdx.x < 128)", gemm);
    }

    [Fact]
    public void The_warp_specialised_kernel_matches_its_launcher()
    {
        // 4 stages × K,V × 64 keys × head_dim bf16, two Q buffers (128 rows), a full and an empty mbarrier per stage and
        // per Q buffer, a full and an empty mbarrier and a slot per item slot, 1 KB to align.
        Assert.Equal(197_768, DeviceKernels.WsSharedBytes(128));
        Assert.True(DeviceKernels.WsSharedBytes(128) <= 227 * 1024, "the H100 allows 227 KB of dynamic shared memory per block");
        string source = KernelSource.Read(KernelSource.AttentionWgmma);
        Assert.Contains($"#define WS_STAGES {DeviceKernels.WsStages}\n", source);
        Assert.Contains($"__launch_bounds__({DeviceKernels.WsThreads}, 1) attention_wgmma_ws(", source);
        Assert.Contains("it.row0 = qblock * 128;", source); // DeviceKernels.WsRows
        Assert.Contains("u64* full = (u64*)(sqs + 2 * 128 * HEAD_DIM);", source); // two Q buffers, then the barriers
        Assert.Contains("u64* ifull = qempty + 2;", source);
        Assert.Contains("u64* iempty = ifull + 2;", source);
        Assert.Contains("int* slots = (int*)(iempty + 2);", source);
        Assert.Equal(128, DeviceKernels.WsRows);
    }

    [Fact]
    public void The_128_key_step_kernel_fits_the_launch_of_the_warp_specialised_one()
    {
        // attention_wgmma_ws128 takes the same shared memory: two K and two V stages of 128 keys are the other kernel's four
        // K/V stages of 64, its K, V, Q and item barriers as many as the other's, then the same item slots.
        string source = KernelSource.Read(KernelSource.AttentionWgmma);
        Assert.Contains("#define WS128_STAGE (WS128_KEYS * HEAD_DIM)", source);
        Assert.Contains("#define WS128_KEYS (2 * WKT)", source);
        Assert.Equal(DeviceKernels.WsStages * 2 * 64, 4 * 128);
        Assert.Contains("bf16_t* sqs = smem + 4 * WS128_STAGE;", source);
        Assert.Contains("u64* kfull = (u64*)(sqs + 2 * 128 * HEAD_DIM);", source);
        Assert.Contains("int* slots = (int*)(iempty + 2);", source);
        Assert.Contains($"__launch_bounds__({DeviceKernels.WsThreads}, 1) attention_wgmma_ws128(", source);
        // setmaxnreg moves registers between warpgroups of the block, whose launch holds 168 per thread (65536 / 384,
        // rounded down to 8): the consumers cannot take more than the producer gives, or their setmaxnreg.inc never returns.
        int producer = Define(source, "WS128_PRODUCER_REGS"), consumer = Define(source, "WS128_CONSUMER_REGS");
        Assert.True(128 * producer + 256 * consumer <= 168 * DeviceKernels.WsThreads, $"{producer}/{consumer} registers");
        Assert.True(producer % 8 == 0 && consumer % 8 == 0 && producer >= 24 && consumer <= 256, "setmaxnreg takes multiples of 8 from 24 to 256");
    }

    private static int Define(string source, string name)
    {
        string line = source.Split('\n').Single(l => l.StartsWith($"#define {name} ", StringComparison.Ordinal));
        return int.Parse(line[$"#define {name} ".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static IEnumerable<string> Declared(string file) =>
        KernelDeclaration().Matches(KernelSource.Read(file)).Select(m => m.Groups[1].Value);

    [Fact]
    public void A_unit_is_the_common_helpers_then_the_file_with_a_line_directive()
    {
        string unit = KernelSource.Unit(KernelSource.Attention);
        int common = unit.IndexOf("f32_to_bf16", StringComparison.Ordinal);
        int line = unit.IndexOf("#line 1 \"attention.cu\"", StringComparison.Ordinal);
        int kernel = unit.IndexOf("attention_tiled", StringComparison.Ordinal);
        Assert.True(common >= 0 && common < line && line < kernel, "common.cuh, then #line, then attention.cu");
        Assert.DoesNotContain("#include", unit);
    }

    [Fact]
    public void Missing_sources_are_reported_by_name() =>
        Assert.Contains("nope.cu", Assert.Throws<FileNotFoundException>(() => KernelSource.Read("nope.cu")).Message);

    [Fact]
    public void The_segment_list_matches_the_cuda_struct()
    {
        // attention.cu: KvSegmentView {u64, u64, int, int} × MAX_SEGMENTS, then int count, int stride.
        Assert.Equal(24, Unsafe.SizeOf<KvSegmentView>());
        Assert.Equal(24 * KvList.Capacity + 8, Unsafe.SizeOf<KvList>());
        var match = Regex.Match(KernelSource.Read(KernelSource.Attention), @"#define MAX_SEGMENTS (\d+)");
        Assert.Equal(KvList.Capacity, int.Parse(match.Groups[1].Value));
    }

    [Fact]
    public void The_row_groups_match_the_cuda_struct()
    {
        // attention_wgmma.cu: KvList list[MAX_ROW_GROUPS]; int firstRow[G], rows[G], firstBlock[G + 1], count, totalRows;
        // padded to the 8-byte alignment of the lists' pointers. Kernel parameters must stay under 4 KB.
        int g = KvGroups.Capacity;
        int bytes = Unsafe.SizeOf<KvList>() * g + sizeof(int) * (g + g + g + 1 + 2);
        Assert.Equal((bytes + 7) / 8 * 8, Unsafe.SizeOf<KvGroups>());
        Assert.True(Unsafe.SizeOf<KvGroups>() + Unsafe.SizeOf<QueryRope>() + 64 < 4096);
        var match = Regex.Match(KernelSource.Read(KernelSource.AttentionWgmma), @"#define MAX_ROW_GROUPS (\d+)");
        Assert.Equal(g, int.Parse(match.Groups[1].Value));
    }

    [Fact]
    public void The_row_limits_match_the_cuda_struct()
    {
        // attention_wgmma.cu: int visible[MAX_ROW_GROUPS][MAX_SEGMENTS]; int firstRow[MAX_ROW_GROUPS]; int count. With a
        // KvList, q/out pointers and the RoPE tables, the kernel's parameters stay under 4 KB.
        Assert.Equal(sizeof(int) * (KvGroups.Capacity * KvList.Capacity + KvGroups.Capacity + 1), Unsafe.SizeOf<RowLimits>());
        Assert.True(Unsafe.SizeOf<KvList>() + Unsafe.SizeOf<RowLimits>() + Unsafe.SizeOf<QueryRope>() + 64 < 4096);
        Assert.Contains("int visible[MAX_ROW_GROUPS][MAX_SEGMENTS];", KernelSource.Read(KernelSource.AttentionWgmma));
    }

    [Theory]
    [InlineData(128, true)]
    [InlineData(64, true)]
    [InlineData(96, true)]
    [InlineData(8, false)]
    [InlineData(80, true)]
    [InlineData(72, false)]
    [InlineData(256, false)]
    public void The_tiled_kernel_takes_head_dims_that_are_multiples_of_16_up_to_128(int headDim, bool tiled) =>
        Assert.Equal(tiled, CudaBackend.TiledSupported(headDim));

    [Fact]
    public void Nvrtc_options_target_the_real_architecture_with_sorted_macros()
    {
        var options = new NvrtcOptions(new ComputeCapability(9, 0), new Dictionary<string, string> { ["HEAD_DIM"] = "128", ["A_FLAG"] = "" });
        Assert.Equal(["--gpu-architecture=sm_90", "--std=c++17", "--fmad=true", "-DA_FLAG", "-DHEAD_DIM=128"], options.Arguments());
        Assert.Equal("--gpu-architecture=compute_120", (options with { Capability = new ComputeCapability(12, 0), EmitPtx = true }).Arguments()[0]);
        Assert.Equal("sm_89", new ComputeCapability(8, 9).SmName);
        // wgmma exists only on the architecture-specific target.
        Assert.Equal("--gpu-architecture=sm_90a", (options with { ArchSpecific = true }).Arguments()[0]);
        Assert.Equal("--gpu-architecture=compute_90a", (options with { ArchSpecific = true, EmitPtx = true }).Arguments()[0]);
    }

    [Fact]
    public void Nvrtc_options_reject_macro_names_that_would_inject_options()
    {
        var options = new NvrtcOptions(new ComputeCapability(9, 0), new Dictionary<string, string> { ["X --use_fast_math"] = "1" });
        Assert.Throws<ArgumentException>(() => options.Arguments());
    }

    [Fact]
    public void Cache_keys_change_with_source_options_and_compiler_version()
    {
        string[] o = ["--gpu-architecture=sm_90"];
        string key = KernelCache.Key("src", o, "nvrtc 13.0");
        Assert.Equal(64, key.Length);
        Assert.Equal(key, KernelCache.Key("src", o, "nvrtc 13.0"));
        Assert.NotEqual(key, KernelCache.Key("src ", o, "nvrtc 13.0"));
        Assert.NotEqual(key, KernelCache.Key("src", ["--gpu-architecture=sm_80"], "nvrtc 13.0"));
        Assert.NotEqual(key, KernelCache.Key("src", o, "nvrtc 12.8"));
        // Option boundaries count: ["ab"] and ["a", "b"] differ.
        Assert.NotEqual(KernelCache.Key("s", ["ab"], "v"), KernelCache.Key("s", ["a", "b"], "v"));
    }

    [Fact]
    public void Cached_images_round_trip_and_misses_return_null()
    {
        string dir = Path.Combine(Path.GetTempPath(), "promptcache-cuda-tests-" + Guid.NewGuid().ToString("N"));
        try
        {
            var cache = new KernelCache(dir);
            Assert.Null(cache.TryRead("abc", ptx: false));
            cache.TryWrite("abc", ptx: false, [1, 2, 3]);
            Assert.Equal([1, 2, 3], cache.TryRead("abc", ptx: false));
            Assert.Null(cache.TryRead("abc", ptx: true));
            Assert.EndsWith("abc.cubin", cache.PathFor("abc", ptx: false));
            Assert.Null(new KernelCache(null).TryRead("abc", ptx: false));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_default_cache_folder_follows_the_environment()
    {
        Assert.Equal("/x", KernelCache.DefaultDirectory(n => n == "PROMPTCACHE_CUDA_CACHE" ? "/x" : null, "/home/u"));
        Assert.Equal(Path.Combine("/xdg", "promptcache", "cuda"), KernelCache.DefaultDirectory(n => n == "XDG_CACHE_HOME" ? "/xdg" : null, "/home/u"));
        Assert.Equal(Path.Combine("/home/u", ".cache", "promptcache", "cuda"), KernelCache.DefaultDirectory(_ => null, "/home/u"));
        Assert.Null(KernelCache.DefaultDirectory(_ => null, null));
    }
}
