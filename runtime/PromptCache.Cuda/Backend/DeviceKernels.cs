using System.Runtime.InteropServices;
using PromptCache.Cuda.Device;
using PromptCache.Cuda.Interop;
using PromptCache.Cuda.Kernels;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// Typed launchers for the kernels of transformer.cu and attention.cu: one method per kernel, so
/// argument order and types are written down once, next to the CUDA signature they must match.
/// </summary>
internal sealed unsafe class DeviceKernels : IDisposable
{
    private const uint Threads = 256;
    private readonly CudaDevice _device;
    private readonly KernelModules _modules;

    public DeviceKernels(CudaDevice device, KernelModules modules)
    {
        _device = device;
        _modules = modules;
    }

    /// <summary>Blocks for a grid-stride loop over <paramref name="n"/> elements: enough to fill the chip, no more.</summary>
    private uint GridFor(long n) => (uint)Math.Clamp((n + Threads - 1) / Threads, 1, (long)_device.MultiprocessorCount * 32);

    private void Launch(IntPtr function, uint gx, uint gy, uint gz, uint block, void** args, uint sharedBytes = 0)
    {
        _device.MakeCurrent();
        CudaCheck.Driver(CuDriver.cuLaunchKernel(function, gx, gy, gz, block, 1, 1, sharedBytes, _device.Stream.Value, args, null));
    }

    // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES: more than 48 KB of dynamic shared memory is opt-in per kernel.
    private const int MaxDynamicSharedSizeBytes = 8;
    private readonly Dictionary<IntPtr, int> _sharedOptIn = new();

    private void EnsureDynamicShared(IntPtr function, int bytes)
    {
        if (_sharedOptIn.TryGetValue(function, out int granted) && granted >= bytes) return;
        _device.MakeCurrent();
        CudaCheck.Driver(CuDriver.cuFuncSetAttribute(function, MaxDynamicSharedSizeBytes, bytes));
        _sharedOptIn[function] = bytes;
    }

    private void Elementwise(string kernel, long n, void** args) =>
        Launch(_modules.Transformer(kernel), GridFor(n), 1, 1, Threads, args);

    public void ConvertF32ToBf16(ulong x, ulong y, long n)
    {
        if (n == 0) return;
        void** a = stackalloc void*[] { &x, &y, &n };
        Elementwise("convert_f32_to_bf16", n, a);
    }

    public void ConvertF16ToBf16(ulong x, ulong y, long n)
    {
        if (n == 0) return;
        void** a = stackalloc void*[] { &x, &y, &n };
        Elementwise("convert_f16_to_bf16", n, a);
    }

    public void ConvertBf16ToF32(ulong x, ulong y, long n)
    {
        if (n == 0) return;
        void** a = stackalloc void*[] { &x, &y, &n };
        Elementwise("convert_bf16_to_f32", n, a);
    }

    public void ConvertBf16ToF16(ulong x, ulong y, long n)
    {
        if (n == 0) return;
        void** a = stackalloc void*[] { &x, &y, &n };
        Elementwise("convert_bf16_to_f16", n, a);
    }

    public void DequantQ8_0(ulong x, ulong y, long rows, int cols)
    {
        void** a = stackalloc void*[] { &x, &y, &rows, &cols };
        Elementwise("dequant_q8_0_to_bf16", rows * cols, a);
    }

    public void FillRandomBf16(ulong y, long n, ulong seed, float scale)
    {
        void** a = stackalloc void*[] { &y, &n, &seed, &scale };
        Elementwise("fill_random_bf16", n, a);
    }

    public void Embed(ulong table, ulong ids, ulong y, int tokens, int d)
    {
        void** a = stackalloc void*[] { &table, &ids, &y, &d };
        Launch(_modules.Transformer("embed_bf16"), (uint)tokens, 1, 1, Threads, a);
    }

    /// <summary>RMSNorm into <paramref name="y"/> and/or (either may be 0) its bf16 copy <paramref name="yBf16"/>.</summary>
    public void RmsNorm(ulong x, ulong y, ulong w, int rows, int width, float eps, ulong yBf16)
    {
        if (rows == 0) return;
        if (width <= 256)
        {
            // Short rows (per-head q/k norm): a warp per row keeps all lanes busy.
            const int WarpsPerBlock = 8;
            void** a = stackalloc void*[] { &x, &y, &w, &rows, &width, &eps, &yBf16 };
            Launch(_modules.Transformer("rmsnorm_warp"), (uint)((rows + WarpsPerBlock - 1) / WarpsPerBlock), 1, 1, 32 * WarpsPerBlock, a);
        }
        else
        {
            void** a = stackalloc void*[] { &x, &y, &w, &width, &eps, &yBf16 };
            LaunchMaybeDependent(_modules.Transformer("rmsnorm"), (uint)rows, 1, width >= 2048 ? 512u : 256u, a, 0, DependentSmallKernels);
        }
    }

    /// <summary>rope_rows of fused_norm.cu: one block per token over all heads (half must be even unless interleaved).</summary>
    public void RopeRows(ulong x, ulong cos, ulong sin, int tokens, int heads, int half, bool interleaved)
    {
        if (tokens == 0) return;
        int style = interleaved ? 1 : 0;
        void** a = stackalloc void*[] { &x, &cos, &sin, &heads, &half, &style };
        Launch(_modules.FusedNorm("rope_rows"), (uint)tokens, 1, 1, 256, a);
    }

    /// <summary>
    /// rope_store_kv of fused_norm.cu: K rotated and both stored as bf16 (k itself left unrotated). Needs
    /// <see cref="RopeStoreKvFits"/>.
    /// </summary>
    public void RopeStoreKv(ulong k, ulong v, ulong kDestination, ulong vDestination, ulong cos, ulong sin, int tokens, int heads, int half, bool interleaved)
    {
        if (tokens == 0) return;
        int style = interleaved ? 1 : 0;
        void** a = stackalloc void*[] { &k, &v, &kDestination, &vDestination, &cos, &sin, &heads, &half, &style };
        LaunchMaybeDependent(_modules.FusedNorm("rope_store_kv"), (uint)tokens, 1, 256, a, 0, DependentSmallKernels);
    }

    /// <summary>Whether rope_store_kv's vector accesses fit these rows (their widths and addresses).</summary>
    public static bool RopeStoreKvFits(int heads, int half, bool interleaved, ulong k, ulong v, ulong kDestination, ulong vDestination) =>
        (interleaved || half % 2 == 0) && heads * 2 * half % 4 == 0 && ((k | v) & 15) == 0 && ((kDestination | vDestination) & 7) == 0;

    public void Rope(ulong x, ulong cos, ulong sin, int tokens, int heads, int half, bool interleaved)
    {
        int style = interleaved ? 1 : 0;
        void** a = stackalloc void*[] { &x, &cos, &sin, &heads, &half, &style };
        Launch(_modules.Transformer("rope"), (uint)tokens, (uint)heads, 1, (uint)Math.Min(((half + 31) / 32) * 32, 256), a);
    }

    /// <summary>SwiGLU, silu(gate)·up into <paramref name="output"/> (0 for none; may be gate) and/or its bf16 copy <paramref name="gateBf16"/> (0 for none).</summary>
    public void SiluMul(ulong gate, ulong up, ulong output, long n, ulong gateBf16)
    {
        void** a = stackalloc void*[] { &gate, &up, &output, &n, &gateBf16 };
        LaunchMaybeDependent(_modules.Transformer("silu_mul"), GridFor(n), 1, Threads, a, 0, DependentSmallKernels);
    }

    /// <summary>split_columns of group_split.cu: y[m × (n0+n1+n2)] into out_i[m × n_i] (n_i multiples of 4, buffers 16-byte aligned; n2 may be 0).</summary>
    public void SplitColumns(ulong y, int m, ulong out0, int n0, ulong out1, int n1, ulong out2, int n2)
    {
        if (m == 0) return;
        int total = n0 + n1 + n2;
        void** a = stackalloc void*[] { &y, &total, &out0, &n0, &out1, &n1, &out2, &n2 };
        Launch(_modules.GroupSplit("split_columns"), (uint)((total / 4 + Threads - 1) / Threads), (uint)m, 1, Threads, a);
    }

    /// <summary>silu_mul_concat of group_split.cu: y[m × 2f] (gate then up per token) into gate = silu(g)·u, up = u and gateBf16 (0 for none); f a multiple of 4, buffers 16-byte aligned.</summary>
    public void SiluMulConcat(ulong y, int m, int f, ulong gate, ulong up, ulong gateBf16)
    {
        if (m == 0 || f == 0) return;
        void** a = stackalloc void*[] { &y, &f, &gate, &up, &gateBf16 };
        Launch(_modules.GroupSplit("silu_mul_concat"), (uint)((f / 4 + Threads - 1) / Threads), (uint)m, 1, Threads, a);
    }

    /// <summary>silu_mul_bf16 of group_split.cu: gate = silu(g)·u from bf16 g and u, and its bf16 copy; n a multiple of 4, buffers 8-byte aligned.</summary>
    public void SiluMulBf16(ulong g, ulong u, ulong gate, ulong gateBf16, long n)
    {
        if (n == 0) return;
        void** a = stackalloc void*[] { &g, &u, &gate, &gateBf16, &n };
        Launch(_modules.GroupSplit("silu_mul_bf16"), GridFor(n / 4), 1, 1, Threads, a);
    }

    public void Add(ulong x, ulong y, long n)
    {
        void** a = stackalloc void*[] { &x, &y, &n };
        Elementwise("add_inplace", n, a);
    }

    public void AddBias(ulong x, ulong b, int width, long n)
    {
        void** a = stackalloc void*[] { &x, &b, &width, &n };
        Elementwise("add_bias", n, a);
    }

    public void StoreKvBf16(ulong k, ulong v, ulong kDestination, ulong vDestination, long n)
    {
        void** a = stackalloc void*[] { &k, &v, &kDestination, &vDestination, &n };
        Elementwise("store_kv_bf16", n, a);
    }

    public void ArgmaxRows(ulong logits, int rows, int vocab, ulong output)
    {
        void** a = stackalloc void*[] { &logits, &vocab, &output };
        Launch(_modules.Transformer("argmax_rows"), (uint)rows, 1, 1, 1024, a);
    }

    public void AttentionSimple(int headDim, ulong q, ulong output, int m, int heads, int kvHeads, float scale, in KvList list)
    {
        KvList copy = list;
        void** a = stackalloc void*[] { &q, &output, &m, &heads, &kvHeads, &scale, &copy };
        Launch(_modules.Attention(headDim, "attention_simple"), (uint)m, (uint)heads, 1, 32, a);
    }

    public void AttentionTiled(bool ldmatrix, int headDim, ulong q, ulong output, ulong partO, ulong partMl, int m, int heads, int kvHeads,
        float scaleLog2, int splits, in KvList list)
    {
        KvList copy = list;
        void** a = stackalloc void*[] { &q, &output, &partO, &partMl, &m, &heads, &kvHeads, &scaleLog2, &splits, &copy };
        Launch(_modules.Attention(headDim, ldmatrix ? "attention_tiled_ldm" : "attention_tiled"), (uint)((m + 63) / 64), (uint)heads, (uint)splits, 128, a);
    }

    /// <summary>Query rows per block of the pipelined kernels (16 per warp).</summary>
    public static int PipelinedRows(bool wide) => wide ? 128 : 64;

    /// <summary>K/V tile stages of the pipelined kernels (attention_pipelined.cu's PSTAGES).</summary>
    public const int PipelinedStages = 2;

    /// <summary>Dynamic shared memory of the pipelined kernels: stages × K,V × 64 keys × (headDim + 8) bf16 (PKT, SSTR).</summary>
    public static int PipelinedSharedBytes(int headDim) => PipelinedStages * 2 * 64 * (headDim + 8) * sizeof(ushort);

    /// <summary>
    /// attention_pipelined(_wide) of attention_pipelined.cu: cp.async double-buffered K/V tiles of 64
    /// keys in dynamic shared memory (2 stages × K,V × 64 × (headDim + 8) bf16).
    /// </summary>
    public void AttentionPipelined(bool wide, int headDim, ulong q, ulong output, ulong partO, ulong partMl, int m, int heads, int kvHeads,
        float scaleLog2, int splits, in KvList list)
    {
        KvList copy = list;
        IntPtr function = _modules.AttentionPipelined(headDim, wide ? "attention_pipelined_wide" : "attention_pipelined");
        int shared = PipelinedSharedBytes(headDim);
        EnsureDynamicShared(function, shared);
        int rows = PipelinedRows(wide);
        void** a = stackalloc void*[] { &q, &output, &partO, &partMl, &m, &heads, &kvHeads, &scaleLog2, &splits, &copy };
        Launch(function, (uint)((m + rows - 1) / rows), (uint)heads, (uint)splits, wide ? 256u : 128u, a, (uint)shared);
    }

    /// <summary>K/V tile stages of the wgmma kernel (attention_wgmma.cu's WG_STAGES).</summary>
    public const int WgmmaStages = 2;

    /// <summary>Query rows per block of the wgmma kernels: 64 per warpgroup, two warpgroups in the wide one.</summary>
    public static int WgmmaRows(bool wide) => wide ? 128 : 64;

    /// <summary>
    /// Dynamic shared memory of a wgmma kernel: stages × K,V × 64 keys × headDim bf16, the block's query
    /// rows × headDim bf16, plus 1 KB so that the kernel can start its swizzled tiles on a 1024-byte boundary.
    /// </summary>
    public static int WgmmaSharedBytes(int headDim, bool wide) => (WgmmaStages * 2 * 64 + WgmmaRows(wide)) * headDim * sizeof(ushort) + 1024;

    /// <summary>Whether the wgmma kernels exist for <paramref name="headDim"/>.</summary>
    public static bool WgmmaSupported(int headDim) => headDim is 64 or 128;

    private static string WgmmaKernel(bool wide) => wide ? "attention_wgmma_wide" : "attention_wgmma";

    /// <summary>K/V stages of the warp-specialised kernel (attention_wgmma.cu's WS_STAGES).</summary>
    public const int WsStages = 4;

    /// <summary>Threads of the warp-specialised kernel: a producer warpgroup and two consumers (its launch bounds).</summary>
    public const int WsThreads = 384;

    /// <summary>Query rows per block of the warp-specialised kernel: 64 per consumer warpgroup.</summary>
    public const int WsRows = 128;

    /// <summary>
    /// Dynamic shared memory of the warp-specialised kernel: its K/V ring (stages × K,V × 64 keys × headDim bf16),
    /// two buffers of the block's query rows, a full and an empty mbarrier per stage, per query buffer and per item slot,
    /// the two item slots, and the 1 KB alignment slack.
    /// </summary>
    public static int WsSharedBytes(int headDim) =>
        (WsStages * 2 * 64 + 2 * WsRows) * headDim * sizeof(ushort) + (2 * WsStages + 8) * sizeof(ulong) + 2 * sizeof(int) + 1024;

    // The persistent kernel's ticket counters, one per key split (attention_wgmma_ws_tma's `tickets`): zeroed once here,
    // and every launch leaves them zero. Launches are ordered on the device's one stream, so they can share them.
    private DeviceMemory? _tickets;

    private ulong Tickets()
    {
        if (_tickets is null)
        {
            _tickets = _device.Allocate(MaxAttentionSplits * sizeof(int));
            CudaCheck.Driver(CuDriver.cuMemsetD32Async(_tickets.Pointer, 0, MaxAttentionSplits, _device.Stream.Value));
        }
        return _tickets.Pointer;
    }

    /// <summary>Frees the ticket counters (the kernels' modules belong to <see cref="KernelModules"/>).</summary>
    public void Dispose()
    {
        _tickets?.Dispose();
        _tickets = null;
    }

    private const string WsKernel = "attention_wgmma_ws";

    private readonly Dictionary<int, IntPtr> _wgmmaWs = new();
    private const string WsTmaKernel = "attention_wgmma_ws_tma";
    private readonly Dictionary<int, IntPtr> _wgmmaWsTma = new();
    private const string Ws128Kernel = "attention_wgmma_ws128";
    private readonly Dictionary<int, IntPtr> _wgmmaWs128 = new();

    private const string WgmmaGroupsKernel = "attention_wgmma_groups";
    private static string WgmmaRowsKernel(bool wide) => wide ? "attention_wgmma_rows_wide" : "attention_wgmma_rows";

    // The wgmma kernels by (head dim, wide), resolved once: they run at every attention call on Hopper.
    private readonly Dictionary<(int HeadDim, bool Wide), IntPtr> _wgmma = new();

    /// <summary>
    /// Compiles (or loads) the wgmma kernels for <paramref name="headDim"/> and grants their shared memory, once;
    /// throws <see cref="CudaException"/> when it cannot.
    /// </summary>
    public void PrepareAttentionWgmma(int headDim)
    {
        if (_wgmma.ContainsKey((headDim, true))) return;
        IntPtr groups = _modules.AttentionWgmma(headDim, WgmmaGroupsKernel);
        EnsureDynamicShared(groups, WgmmaSharedBytes(headDim, wide: false));
        _wgmmaGroups[headDim] = groups;
        foreach (bool wide in new[] { false, true })
        {
            IntPtr rows = _modules.AttentionWgmma(headDim, WgmmaRowsKernel(wide));
            EnsureDynamicShared(rows, WgmmaSharedBytes(headDim, wide));
            _wgmmaRows[(headDim, wide)] = rows;
        }
        IntPtr ws = _modules.AttentionWgmma(headDim, WsKernel);
        EnsureDynamicShared(ws, WsSharedBytes(headDim));
        _wgmmaWs[headDim] = ws;
        IntPtr wsTma = _modules.AttentionWgmma(headDim, WsTmaKernel);
        EnsureDynamicShared(wsTma, WsSharedBytes(headDim));
        _wgmmaWsTma[headDim] = wsTma;
        IntPtr ws128 = _modules.AttentionWgmma(headDim, Ws128Kernel);
        EnsureDynamicShared(ws128, WsSharedBytes(headDim));
        _wgmmaWs128[headDim] = ws128;
        foreach (bool wide in new[] { false, true })
        {
            IntPtr function = _modules.AttentionWgmma(headDim, WgmmaKernel(wide));
            EnsureDynamicShared(function, WgmmaSharedBytes(headDim, wide));
            _wgmma[(headDim, wide)] = function;
        }
    }

    private readonly Dictionary<int, IntPtr> _wgmmaGroups = new();
    private readonly Dictionary<(int HeadDim, bool Wide), IntPtr> _wgmmaRows = new();

    /// <summary>
    /// attention_wgmma_groups of attention_wgmma.cu: the row groups in <paramref name="groups"/> (rows of
    /// <paramref name="q"/> and <paramref name="output"/> from the first group's) in one launch of 64-row,
    /// one-warpgroup blocks; split partials are <c>groups.TotalRows</c> rows per split, for one combine.
    /// </summary>
    public void AttentionWgmmaGroups(int headDim, ulong q, ulong output, ulong outputBf16, ulong partO, ulong partMl, int heads, int kvHeads,
        float scaleLog2, int splits, in KvGroups groups, QueryRope rope)
    {
        KvGroups copy = groups;
        IntPtr function = _wgmmaGroups[headDim]; // PrepareAttentionWgmma ran first
        void** a = stackalloc void*[] { &q, &output, &outputBf16, &partO, &partMl, &heads, &kvHeads, &scaleLog2, &splits, &copy, &rope };
        Launch(function, (uint)copy.FirstBlock[copy.Count], (uint)heads, (uint)splits, 128, a, (uint)WgmmaSharedBytes(headDim, wide: false));
    }

    /// <summary>
    /// attention_wgmma_rows(_wide) of attention_wgmma.cu: row groups of together at most 64 rows (128 with
    /// <paramref name="wide"/>, two warpgroups) in one block per head and split, each K/V tile read once for all of
    /// them; <paramref name="list"/> is what the last row sees and <paramref name="limits"/> what each group's rows see.
    /// </summary>
    public void AttentionWgmmaRows(bool wide, int headDim, ulong q, ulong output, ulong outputBf16, ulong partO, ulong partMl, int m, int heads,
        int kvHeads, float scaleLog2, int splits, in KvList list, in RowLimits limits, QueryRope rope)
    {
        KvList listCopy = list;
        RowLimits limitsCopy = limits;
        IntPtr function = _wgmmaRows[(headDim, wide)]; // PrepareAttentionWgmma ran first
        void** a = stackalloc void*[] { &q, &output, &outputBf16, &partO, &partMl, &m, &heads, &kvHeads, &scaleLog2, &splits, &listCopy, &limitsCopy, &rope };
        Launch(function, 1, (uint)heads, (uint)splits, (uint)(2 * WgmmaRows(wide)), a, (uint)WgmmaSharedBytes(headDim, wide));
    }

    /// <summary>
    /// attention_wgmma(_wide) of attention_wgmma.cu (sm_90a, head dimension 64 or 128): 64 query rows per
    /// warpgroup, one warpgroup per block or two in the wide kernel; with <paramref name="warpSpecialized"/>,
    /// attention_wgmma_ws (128 rows per block: a producer warpgroup copying K/V, two consumer warpgroups). Writes
    /// <paramref name="output"/>, or only its bf16 copy <paramref name="outputBf16"/> when that is not 0 (with one
    /// split; else the merge does). With <paramref name="maps"/> the warp-specialised kernel's K/V tiles come by the copy
    /// engine, its blocks may take several items (<paramref name="persistent"/>), and it may take 128 keys per step
    /// (<paramref name="wideSteps"/>: attention_wgmma_ws128).
    /// </summary>
    public void AttentionWgmma(bool wide, bool warpSpecialized, int headDim, ulong q, ulong output, ulong outputBf16, ulong partO, ulong partMl,
        int m, int heads, int kvHeads, float scaleLog2, int splits, in KvList list, QueryRope rope, in KvMaps? maps = null, bool persistent = false,
        bool wideSteps = false)
    {
        KvList copy = list;
        KvMaps mapsCopy = maps ?? default;
        // PrepareAttentionWgmma ran first.
        IntPtr function = !warpSpecialized ? _wgmma[(headDim, wide)]
            : maps is null ? _wgmmaWs[headDim]
            : wideSteps ? _wgmmaWs128[headDim] : _wgmmaWsTma[headDim];
        int rows = warpSpecialized ? WsRows : WgmmaRows(wide);
        uint threads = warpSpecialized ? WsThreads : (uint)(2 * rows);
        int shared = warpSpecialized ? WsSharedBytes(headDim) : WgmmaSharedBytes(headDim, wide);
        ulong tickets = maps is null ? 0 : Tickets();
        void** a = stackalloc void*[] { &q, &output, &outputBf16, &partO, &partMl, &m, &heads, &kvHeads, &scaleLog2, &splits, &copy, &rope, &mapsCopy, &tickets };
        // One row of blocks, heads × row blocks: the kernels map it so that groups of heads run their longest rows first
        // (prefill_block). Persistent (the TMA kernels only): a block per SM, each taking items in turn (ws_next_item).
        int items = heads * ((m + rows - 1) / rows);
        int blocks = maps is not null && persistent ? Math.Min(items, _device.MultiprocessorCount) : items;
        Launch(function, (uint)blocks, 1, (uint)splits, threads, a, (uint)shared);
    }

    /// <summary>
    /// skinny_gemm(_r32)_mt{1..4} of skinny_gemm.cu: every member of <paramref name="group"/> gets
    /// y[m × rows] = x[m × k] · Wᵀ in one launch (blocks of 8 warps × 32 or 64 weight rows, by <paramref name="variant"/>; starts in <paramref name="group"/> must match); with more than
    /// one K split the outputs are zeroed first (skinny_zero) and the splits add into them.
    /// </summary>
    public void SkinnyGemm(in SkinnyGroupArgs group, ulong x, int m, int k, SkinnyGemmPlan.Split split, SkinnyKernelVariant variant)
    {
        if (m < 1 || m > SkinnyGemmPlan.MaxRows) throw new ArgumentOutOfRangeException(nameof(m), m, "The skinny GEMM takes 1 to 64 rows.");
        SkinnyGroupArgs copy = group;
        if (split.Splits > 1)
        {
            long largest = 0;
            for (int i = 0; i < copy.Count; i++) largest = Math.Max(largest, (long)m * copy.Rows[i]);
            void** z = stackalloc void*[] { &copy, &m };
            Launch(_modules.SkinnyGemm("skinny_zero"), GridFor(largest), 1, 1, Threads, z);
        }
        int kslice = split.KSlice;
        void** a = stackalloc void*[] { &copy, &x, &m, &k, &kslice };
        Launch(_modules.SkinnyGemm(SkinnyGemmPlan.Kernel(variant, m)), (uint)copy.Starts[copy.Count], (uint)split.Splits, 1, SkinnyGemmPlan.Threads, a);
    }

    /// <summary>
    /// Compiles (or loads) skinny_wgmma.cu's kernel for <paramref name="m"/> rows and its zeroing, and raises the kernel's
    /// shared-memory limit: a build error surfaces here, before anything is queued.
    /// </summary>
    public void PrepareSkinnyWgmma(int m)
    {
        EnsureDynamicShared(_modules.SkinnyWgmma(SkinnyWgmmaPlan.Kernel(m)), SkinnyWgmmaPlan.SharedBytes(m));
        _modules.SkinnyWgmma("skinny_wgmma_zero");
    }

    /// <summary>
    /// skinny_wgmma_n{8..64} of skinny_wgmma.cu after skinny_wgmma_zero: every member of <paramref name="args"/> gets
    /// y[m × rows] = x[m × k] · Wᵀ, x read through <paramref name="x"/> (boxes of the kernel's token tile rows). With
    /// <paramref name="dependent"/> both start as programmatic dependent launches; when the driver refuses one, this and
    /// every later launch are plain (<see cref="DependentLaunchError"/>). <see cref="PrepareSkinnyWgmma"/> ran first.
    /// </summary>
    public void SkinnyWgmma(in SkinnyWgmmaArgs args, TensorMap x, int m, int k, bool dependent)
    {
        SkinnyWgmmaArgs copy = args;
        long largest = 0;
        for (int i = 0; i < copy.Count; i++) largest = Math.Max(largest, (long)m * copy.Rows[i]);
        // Few blocks: all of them start at once, so the GEMM after them may start at once too.
        uint zeroBlocks = (uint)Math.Clamp((largest + Threads - 1) / Threads, 1, _device.MultiprocessorCount);
        void** z = stackalloc void*[] { &copy, &m };
        LaunchMaybeDependent(_modules.SkinnyWgmma("skinny_wgmma_zero"), zeroBlocks, 1, Threads, z, 0, dependent);
        uint grid = (uint)SkinnyWgmmaPlan.Grid(copy.Tiles[copy.Count], k, _device.MultiprocessorCount);
        void** a = stackalloc void*[] { &copy, &x, &m, &k };
        LaunchMaybeDependent(_modules.SkinnyWgmma(SkinnyWgmmaPlan.Kernel(m)), grid, 1, SkinnyWgmmaPlan.Threads, a, (uint)SkinnyWgmmaPlan.SharedBytes(m), dependent);
    }

    /// <summary>Why launches that asked to start as programmatic dependents ran as plain ones, or null.</summary>
    public string? DependentLaunchError { get; private set; }

    /// <summary>
    /// Whether the kernels that sit between the skinny wgmma GEMMs of a cached call or decode step (rmsnorm, add_rmsnorm4,
    /// silu_mul, rope_store_kv, attention_combine; each waits with <c>pdl_wait</c> first thing) start as programmatic
    /// dependents too, their blocks up while the GEMM before them finishes. Set by the backend while that GEMM runs with
    /// dependent launches.
    /// </summary>
    public bool DependentSmallKernels { get; set; }

    // A launch that may start before the previous kernel in the stream ends (the kernel waits for it with griddepcontrol).
    private void LaunchMaybeDependent(IntPtr function, uint gx, uint gy, uint block, void** args, uint sharedBytes, bool dependent)
    {
        if (!dependent || DependentLaunchError is not null)
        {
            Launch(function, gx, gy, 1, block, args, sharedBytes);
            return;
        }
        _device.MakeCurrent();
        var attribute = new CuDriver.LaunchAttribute { Id = CuDriver.LaunchAttributeProgrammaticStreamSerialization, Value = 1 };
        var config = new CuDriver.LaunchConfig
        {
            GridX = gx, GridY = gy, GridZ = 1, BlockX = block, BlockY = 1, BlockZ = 1, SharedBytes = sharedBytes,
            Stream = _device.Stream.Value, Attributes = (IntPtr)(&attribute), AttributeCount = 1,
        };
        try
        {
            CudaCheck.Driver(CuDriver.cuLaunchKernelEx(&config, function, args, null));
        }
        catch (Exception e) when (e is CudaException or EntryPointNotFoundException)
        {
            // A driver without the attribute or the entry point: the kernels also run launched plainly (their waits then
            // return at once). When the plain launch fails too, the launch itself was at fault: that error propagates.
            Launch(function, gx, gy, 1, block, args, sharedBytes);
            DependentLaunchError = e.Message;
        }
    }

    /// <summary>add_rmsnorm4 of fused_norm.cu: x += r (when r is not 0), then y = RMSNorm(x)·w and its bf16 copy yb (0 for none).</summary>
    public void AddRmsNorm(ulong x, ulong r, ulong y, ulong w, int rows, int width, float eps, ulong yBf16)
    {
        if (rows == 0) return;
        void** a = stackalloc void*[] { &x, &r, &y, &w, &width, &eps, &yBf16 };
        LaunchMaybeDependent(_modules.FusedNorm("add_rmsnorm4"), (uint)rows, 1, width >= 4096 ? 512u : 256u, a, 0, DependentSmallKernels);
    }

    /// <summary>The most key splits <c>attention_combine</c> merges (its MAX_SPLITS).</summary>
    public const int MaxAttentionSplits = 64;

    /// <summary>attention_combine of attention.cu: merges the key splits' partials into <paramref name="output"/>, or only into its bf16 copy <paramref name="outputBf16"/> when that is not 0.</summary>
    public void AttentionCombine(int headDim, ulong partO, ulong partMl, ulong output, ulong outputBf16, int m, int heads, int splits)
    {
        void** a = stackalloc void*[] { &partO, &partMl, &output, &outputBf16, &m, &heads, &splits };
        LaunchMaybeDependent(_modules.Attention(headDim, "attention_combine"), (uint)m, (uint)heads, (uint)Math.Min(((headDim + 31) / 32) * 32, 256), a, 0, DependentSmallKernels);
    }

    /// <summary>Rows per output tile of swiglu_gemm (GEMM_BM), and the x tensor map's box height.</summary>
    public const int SwiGluTileRows = 128;

    /// <summary>Output columns per tile of swiglu_gemm (GEMM_BN): the gate and up maps' box height.</summary>
    public const int SwiGluTileColumns = 128;

    /// <summary>GEMM_STAGES of gemm_wgmma.cu.</summary>
    public const int SwiGluStages = 4;

    /// <summary>Shared memory of swiglu_gemm: per stage 128 rows of x and 128 of gate and of up, 64 bf16 each; 1 KB to align the swizzled tiles; a full and an empty barrier per stage.</summary>
    public const int SwiGluSharedBytes = SwiGluStages * (SwiGluTileRows + 2 * SwiGluTileColumns) * TensorMap.BoxColumns * sizeof(ushort) + 1024 + 2 * SwiGluStages * sizeof(ulong);

    /// <summary>
    /// Compiles (or loads) swiglu_gemm and swiglu_gemm_paired and raises their shared-memory limits: the first call's errors
    /// surface here, before anything is queued.
    /// </summary>
    public void PrepareSwiGluGemm()
    {
        EnsureDynamicShared(_modules.GemmWgmma("swiglu_gemm"), SwiGluSharedBytes);
        IntPtr paired = _modules.GemmWgmma("swiglu_gemm_paired");
        EnsureDynamicShared(paired, SwiGluSharedBytes);
        if (_pairedClusters >= 0) return;
        var config = new CuDriver.LaunchConfig { GridX = (uint)_device.MultiprocessorCount & ~1u, GridY = 1, GridZ = 1, BlockX = 384, BlockY = 1, BlockZ = 1, SharedBytes = SwiGluSharedBytes, Stream = _device.Stream.Value };
        try
        {
            CudaCheck.Driver(CuDriver.cuOccupancyMaxActiveClusters(out int clusters, paired, &config));
            _pairedClusters = clusters;
            if (clusters == 0) PairedSwiGluError = "the driver reports that no cluster of two swiglu_gemm_paired blocks fits on the device";
        }
        catch (Exception e) when (e is CudaException or EntryPointNotFoundException)
        {
            // A driver without the query: the unpaired kernel still runs.
            _pairedClusters = 0;
            PairedSwiGluError = e.Message;
        }
    }

    // Clusters of two swiglu_gemm_paired blocks that fit on the device at once (132 SMs of an H100: 66); -1 until asked.
    private int _pairedClusters = -1;

    /// <summary>Why swiglu_gemm_paired does not run here (the unpaired kernel runs instead), or null.</summary>
    public string? PairedSwiGluError { get; private set; }

    /// <summary>
    /// swiglu_gemm of gemm_wgmma.cu: <paramref name="h"/>[m × f] (bf16) = silu(x·gateᵀ)·(x·upᵀ), x [m × k] and the weights
    /// [f × k] read through their tensor maps (<see cref="TensorMap.Bf16Rows"/>, boxes of <see cref="SwiGluTileRows"/> and
    /// <see cref="SwiGluTileColumns"/> rows). A persistent grid: one block per SM at most, or with <paramref name="paired"/>
    /// swiglu_gemm_paired's clusters of two blocks, as many as fit at once (the same output to the bit). Returns whether it
    /// ran paired. <see cref="PrepareSwiGluGemm"/> ran first.
    /// </summary>
    public bool SwiGluGemm(TensorMap x, TensorMap gate, TensorMap up, ulong h, int m, int f, int k, bool paired)
    {
        long mTiles = (m + SwiGluTileRows - 1) / SwiGluTileRows, nTiles = (f + SwiGluTileColumns - 1) / SwiGluTileColumns;
        paired &= _pairedClusters > 0;
        void** a = stackalloc void*[] { &x, &gate, &up, &h, &m, &f, &k };
        if (paired)
            Launch(_modules.GemmWgmma("swiglu_gemm_paired"), 2 * (uint)Math.Min((mTiles + 1) / 2 * nTiles, _pairedClusters), 1, 1, 384, a, SwiGluSharedBytes);
        else
            Launch(_modules.GemmWgmma("swiglu_gemm"), (uint)Math.Min(mTiles * nTiles, _device.MultiprocessorCount), 1, 1, 384, a, SwiGluSharedBytes);
        return paired;
    }
}

/// <summary>
/// attention_wgmma.cu's <c>QueryRope</c> (24 bytes): RoPE the wgmma kernels apply to q as they load it; <see cref="Cos"/> 0
/// when q is already rotated. Cos and sin are [rows × <see cref="Half"/>] from the launch's first query row.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct QueryRope
{
    public ulong Cos;
    public ulong Sin;
    public int Half;
    public int Interleaved;
}

/// <summary>One segment as attention.cu's <c>KvSegmentView</c> (24 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvSegmentView
{
    public ulong Keys;
    public ulong Values;
    public int Visible;
    public int Causal;
}

/// <summary>
/// attention_wgmma.cu's <c>KvMaps</c> (1024 bytes): the K maps of a KvList's first <see cref="Segments"/> segments, then
/// their V maps (<see cref="TensorMap.KvRows"/>), for the warp-specialised kernel's copy-engine loads.
/// </summary>
[System.Runtime.CompilerServices.InlineArray(2 * Segments)]
internal struct KvMaps
{
    /// <summary>WS_TMA_SEGMENTS in attention_wgmma.cu.</summary>
    public const int Segments = 4;

    private TensorMap _first;

    /// <summary>The maps of <paramref name="list"/>'s segments as <paramref name="m"/> query rows see them (a causal segment shows its visible keys plus the rows').</summary>
    public static KvMaps For(in KvList list, int m, int headDim, int kvHeads)
    {
        if (list.Count > Segments) throw new ArgumentException($"The copy-engine attention takes at most {Segments} segments ({list.Count} here).");
        var maps = new KvMaps();
        for (int s = 0; s < list.Count; s++)
        {
            var seg = list.Segment[s];
            int tokens = seg.Causal != 0 ? seg.Visible + m : seg.Visible;
            maps[s] = TensorMap.KvRows(seg.Keys, headDim, kvHeads, tokens, list.Stride);
            maps[Segments + s] = TensorMap.KvRows(seg.Values, headDim, kvHeads, tokens, list.Stride);
        }
        return maps;
    }
}

/// <summary>attention.cu's <c>KvList</c>: up to <see cref="Capacity"/> segments, passed by value (776 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvList
{
    /// <summary>MAX_SEGMENTS in attention.cu.</summary>
    public const int Capacity = 32;

    public Segments Segment;
    public int Count;
    public int Stride;

    [System.Runtime.CompilerServices.InlineArray(Capacity)]
    public struct Segments
    {
        private KvSegmentView _first;
    }
}

/// <summary>
/// attention_wgmma.cu's <c>RowLimits</c> (532 bytes): the keys each row group of one block sees of every non-causal
/// segment (<c>Visible[g * KvList.Capacity + s]</c>), the groups' first rows, and how many groups there are.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RowLimits
{
    public VisibleCounts Visible;
    public KvGroups.Ints FirstRow;
    public int Count;

    [System.Runtime.CompilerServices.InlineArray(KvGroups.Capacity * KvList.Capacity)]
    public struct VisibleCounts
    {
        private int _first;
    }
}

/// <summary>attention_wgmma.cu's <c>KvGroups</c>: up to four row groups of one layer's short query, each with its own K/V view (3168 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvGroups
{
    /// <summary>MAX_ROW_GROUPS in attention_wgmma.cu.</summary>
    public const int Capacity = 4;

    public Lists List;
    public Ints FirstRow;
    public Ints Rows;
    public Blocks FirstBlock;
    public int Count;
    public int TotalRows;

    [System.Runtime.CompilerServices.InlineArray(Capacity)]
    public struct Lists
    {
        private KvList _first;
    }

    [System.Runtime.CompilerServices.InlineArray(Capacity)]
    public struct Ints
    {
        private int _first;
    }

    [System.Runtime.CompilerServices.InlineArray(Capacity + 1)]
    public struct Blocks
    {
        private int _first;
    }
}
