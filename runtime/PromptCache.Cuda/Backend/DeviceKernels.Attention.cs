using PromptCache.Cuda.Interop;
using PromptCache.Cuda.Kernels;

namespace PromptCache.Cuda.Backend;

// The attention kernels' launchers (attention.cu, attention_pipelined.cu, attention_wgmma.cu).
internal sealed unsafe partial class DeviceKernels
{
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

    /// <summary>The most key splits <c>attention_combine</c> merges (its MAX_SPLITS).</summary>
    public const int MaxAttentionSplits = 64;

    /// <summary>attention_combine of attention.cu: merges the key splits' partials into <paramref name="output"/>, or only into its bf16 copy <paramref name="outputBf16"/> when that is not 0.</summary>
    public void AttentionCombine(int headDim, ulong partO, ulong partMl, ulong output, ulong outputBf16, int m, int heads, int splits)
    {
        void** a = stackalloc void*[] { &partO, &partMl, &output, &outputBf16, &m, &heads, &splits };
        LaunchMaybeDependent(_modules.Attention(headDim, "attention_combine"), (uint)m, (uint)heads, (uint)Math.Min(((headDim + 31) / 32) * 32, 256), a, 0, DependentSmallKernels);
    }
}
