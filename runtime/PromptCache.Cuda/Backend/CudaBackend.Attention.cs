using PromptCache.Cuda.Interop;
using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cuda.Backend;

// Attention: the kernels by GPU and head dimension, held row groups, key splits and their tuning.
public sealed unsafe partial class CudaBackend
{
    /// <inheritdoc />
    public void Attention(float* q, int m, int heads, ReadOnlySpan<KvBlock> context, int layer, float* output)
    {
        if (context.Length == 0) throw new ArgumentException("Attention needs at least one K/V block.", nameof(context));
        if (context.Length > KvList.Capacity)
            throw new NotSupportedException($"The CUDA attention kernel takes at most {KvList.Capacity} K/V segments per call; got {context.Length}. Merge modules into fewer segments.");
        var first = context[0].Segment;
        int headDim = first.HeadDim, kvHeads = first.KvHeadCount;
        if (heads % kvHeads != 0) throw new ArgumentException($"{heads} query heads are not a multiple of {kvHeads} kv heads.");
        using (Enter())
        {
            using var chunk = Recorded();
            // q's RoPE, if deferred, is applied by the wgmma kernels as they load q (other kernels read it rotated).
            var rope = QueryRopeFor((ulong)q, m, heads, headDim);
            // The next row group of the held ones: nothing else was called since (Begin would launch them).
            bool joins = JoinsHeldAttention((ulong)q, m, heads, kvHeads, headDim, layer, (ulong)output, rope);
            if (!joins) Begin();
            if (rope.Cos == 0) Reading((ulong)q, (long)m * heads * headDim);
            Written((ulong)output, (long)m * heads * headDim);
            var list = new KvList { Count = context.Length, Stride = first.KvDim };
            int maxTiles = 0;
            for (int i = 0; i < context.Length; i++)
            {
                var block = context[i];
                var seg = block.Segment;
                if (seg.HeadDim != headDim || seg.KvHeadCount != kvHeads || seg.LayerCount <= layer)
                    throw new ArgumentException("All K/V segments of one attention call must have the same shape.", nameof(context));
                var mirror = Mirror(seg);
                // The output block's rows of this chunk were stored for this layer just before (see Stored).
                int present = block.Causal ? Math.Max(mirror.Valid, mirror.Stored) : mirror.Valid;
                if (present < block.Visible)
                {
                    FlushAttention(); // loading may move a device copy the held groups point into
                    if (!block.Causal && LayerGate(seg) is not null) present = LoadGatedLayer(seg, mirror, layer);
                    else
                    {
                        if (LayerwiseHostLoad && !block.Causal) LoadLayerwise(seg, mirror);
                        else SyncFromHost(seg, mirror);
                        present = block.Causal ? Math.Max(mirror.Valid, mirror.Stored) : mirror.Valid;
                    }
                }
                if (present < block.Visible)
                    throw new InvalidOperationException($"A K/V block claims {block.Visible} visible tokens but its segment holds {present}.");
                if (mirror.LayerReady is { } ready)
                {
                    // A gated load has queued only the layers reached so far; after a recompute behind a failed gate
                    // (which wrote the rows itself) the later layers have no event at all.
                    var arrived = OverlapHostLoad ? ready[layer] : ready[^1] ?? ready[layer];
                    if (arrived is not null)
                    {
                        _device.BreakCapture(); // waits on the copy stream's events: not recorded
                        CudaCheck.Driver(CuDriver.cuStreamWaitEvent(_device.Stream.Value, arrived.Value, 0));
                    }
                    if (layer == seg.LayerCount - 1) mirror.ClearLayerReady();
                }
                list.Segment[i] = new KvSegmentView
                {
                    Keys = mirror.Keys(layer),
                    Values = mirror.Values(layer),
                    Visible = block.Visible,
                    Causal = block.Causal ? 1 : 0,
                };
                maxTiles += (block.VisibleTo(m - 1) + 63) / 64;
            }
            bool tiled = Options.Attention switch
            {
                AttentionKernel.Simple => false,
                AttentionKernel.Tiled or AttentionKernel.TiledLdmatrix or AttentionKernel.Pipelined or AttentionKernel.PipelinedWide => TiledSupported(headDim) && _device.ComputeCapability.Major >= 8
                    ? true
                    : throw new NotSupportedException($"The tiled attention kernel needs SM 8.0 or newer (this GPU: {_device.ComputeCapability}) and a head dimension that is a multiple of 16 and at most 128 (here {headDim})."),
                _ => TiledSupported(headDim) && _device.ComputeCapability.Major >= 8,
            };
            if (!tiled || !UseWgmma(headDim)) QueryRead(ref rope, q, m, heads, headDim);
            if (!tiled)
            {
                _kernels.AttentionSimple(headDim, (ulong)q, (ulong)output, m, heads, kvHeads, 1f / MathF.Sqrt(headDim), list);
                return;
            }
            float scaleLog2 = (float)(1.0 / Math.Sqrt(headDim) * 1.4426950408889634);
            if (HoldsAttention(m, headDim))
            {
                _heldAttention.Add(new HeldAttention((ulong)q, (ulong)output, m, heads, kvHeads, headDim, layer, scaleLog2, maxTiles, list, rope));
                return;
            }
            if (UseWgmma(headDim) && WgmmaAttention(q, m, heads, kvHeads, headDim, scaleLog2, maxTiles, list, output, rope)) return;
            QueryRead(ref rope, q, m, heads, headDim); // the wgmma kernels could not be built: the others read q rotated
            if (Options.Attention is AttentionKernel.Pipelined or AttentionKernel.PipelinedWide)
            {
                if (!PipelinedSupported(headDim))
                    throw new NotSupportedException($"The pipelined attention kernel needs a head dimension that is a multiple of 32 and at most 128 (here {headDim}).");
                PipelinedAttention(q, m, heads, kvHeads, headDim, scaleLog2, maxTiles, list, output);
                return;
            }
            bool ldmatrix = Options.Attention == AttentionKernel.TiledLdmatrix;
            KvList copy = list;
            ulong qd = (ulong)q, od = (ulong)output;
            RunSplit(ChooseSplits(m, heads, maxTiles), headDim, od, 0, m, heads,
                (partO, partMl, n) => _kernels.AttentionTiled(ldmatrix, headDim, qd, od, partO, partMl, m, heads, kvHeads, scaleLog2, n, copy));
        }
    }

    /// <summary>Why the wgmma attention kernel was given up (and the other kernels used), or null.</summary>
    public string? WgmmaAttentionError { get; private set; }

    private bool _wgmmaUnavailable;

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.WgmmaAttention"/>.</summary>
    internal bool? WgmmaOverride { get; set; }

    private bool UseWgmma(int headDim) =>
        (WgmmaOverride ?? Options.WgmmaAttention) && !_wgmmaUnavailable
        && DeviceKernels.WgmmaSupported(headDim) && IsHopper;

    /// <summary>Attention calls the wgmma kernel has run (checks: it was used, not silently passed over).</summary>
    internal long WgmmaCalls { get; private set; }

    // Short-query attention calls held back (MergeAttentionGroups): a forward whose rows see different parts
    // of the context calls Attention once per row group, back to back; held, the groups of one layer run as
    // one launch. Any other call launches them first (Begin, MatMul, RmsNorm), so the order never changes.
    private readonly record struct HeldAttention(ulong Q, ulong Output, int M, int Heads, int KvHeads, int HeadDim, int Layer,
        float ScaleLog2, int KeyTiles, KvList List, QueryRope Rope);

    // The deferred RoPE of q's rows as the wgmma kernels take it (from q's first row), or none (Cos 0): q then
    // holds rotated values, or will once Reading has applied its RoPE.
    private QueryRope QueryRopeFor(ulong q, int m, int heads, int headDim)
    {
        if (!UseWgmma(headDim) || headDim % 2 != 0 || _deferredRopes.Covering(q, m, heads, headDim / 2) is not var (record, firstRow))
            return default;
        var (cos, sin) = record.TablesFrom(firstRow);
        return new QueryRope { Cos = cos, Sin = sin, Half = record.Half, Interleaved = record.Interleaved ? 1 : 0 };
    }

    // A kernel that does not rotate q reads it: its deferred RoPE is applied first.
    private void QueryRead(ref QueryRope rope, float* q, int m, int heads, int headDim)
    {
        if (rope.Cos == 0) return;
        Reading((ulong)q, (long)m * heads * headDim);
        rope = default;
    }

    private readonly List<HeldAttention> _heldAttention = new();

    // Rows of all held groups together at most (short queries: a launch per group is a chain of key tiles
    // that leaves the GPU mostly idle; longer queries fill it on their own).
    private const int MaxHeldAttentionRows = 128;

    /// <summary>Launches that ran several attention row groups at once (checks: the merging was used).</summary>
    internal long MergedAttentionLaunches { get; private set; }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.MergeAttentionGroups"/>.</summary>
    internal bool? MergeAttentionGroupsOverride { get; set; }

    private bool HoldsAttention(int m, int headDim) =>
        (MergeAttentionGroupsOverride ?? Options.MergeAttentionGroups) && UseWgmma(headDim)
        && _heldAttention.Sum(h => h.M) + m <= MaxHeldAttentionRows && WgmmaReady(headDim);

    // Compiles (or loads from the disk cache) the wgmma kernels at the first call only; false, with the reason kept,
    // when they cannot be built here.
    private bool WgmmaReady(int headDim)
    {
        try
        {
            _kernels.PrepareAttentionWgmma(headDim);
            return true;
        }
        catch (CudaException e)
        {
            _wgmmaUnavailable = true; // do not recompile the broken unit at every call
            WgmmaAttentionError = e.Message;
            return false;
        }
    }

    // Whether this call continues the held groups: same layer and shape, its rows right after theirs.
    // The launch rotates every group's q from the first group's RoPE rows on, or none: all or none of them defer it.
    private bool JoinsHeldAttention(ulong q, int m, int heads, int kvHeads, int headDim, int layer, ulong output, QueryRope rope)
    {
        if (_heldAttention.Count == 0 || _heldAttention.Count == KvGroups.Capacity) return false;
        var last = _heldAttention[^1];
        ulong bytes = (ulong)((long)last.M * heads * headDim * sizeof(float));
        ulong ropeBytes = (ulong)((long)last.M * last.Rope.Half * sizeof(float));
        bool ropeFollows = rope.Cos == 0 ? last.Rope.Cos == 0 : last.Rope.Cos != 0 && rope.Cos == last.Rope.Cos + ropeBytes && rope.Sin == last.Rope.Sin + ropeBytes;
        return last.Layer == layer && last.Heads == heads && last.KvHeads == kvHeads && last.HeadDim == headDim
            && q == last.Q + bytes && output == last.Output + bytes && ropeFollows && _heldAttention.Sum(h => h.M) + m <= MaxHeldAttentionRows;
    }

    private void FlushAttention()
    {
        if (_heldAttention.Count == 0) return;
        var held = _heldAttention.ToArray();
        _heldAttention.Clear();
        var first = held[0];
        if (held.Length == 1)
        {
            if (!WgmmaAttention((float*)first.Q, first.M, first.Heads, first.KvHeads, first.HeadDim, first.ScaleLog2, first.KeyTiles, first.List, (float*)first.Output, first.Rope))
                throw new InvalidOperationException("The wgmma attention kernel was prepared but could not be launched.");
            return;
        }
        int heads = first.Heads, kvHeads = first.KvHeads, headDim = first.HeadDim;
        ulong od = first.Output, qd = first.Q;
        float scaleLog2 = first.ScaleLog2;
        if (SharesKeys && SharedKeyView(held, out var union, out var limits, out int total))
        {
            bool wide = total > DeviceKernels.WgmmaRows(false);
            int blockRows = DeviceKernels.WgmmaRows(wide);
            ulong rb = GemmInputsOnly ? Claim(od, (long)total * heads * headDim, only: true) : 0;
            LaunchSplit(wide ? SplitKernel.WgmmaRowsWide : SplitKernel.WgmmaRows, blockRows, total, heads, kvHeads, headDim, held.Max(h => h.KeyTiles), od, rb,
                (partO, partMl, n) => _kernels.AttentionWgmmaRows(wide, headDim, qd, od, rb, partO, partMl, total, heads, kvHeads, scaleLog2, n, union, limits, first.Rope),
                blockRows: blockRows);
            CountMerged(held.Length, first.Rope);
            SharedKeyLaunches++;
            return;
        }
        var groups = new KvGroups { Count = held.Length };
        int rows = 0, blocks = 0, keyTiles = 0;
        for (int i = 0; i < held.Length; i++)
        {
            groups.List[i] = held[i].List;
            groups.FirstRow[i] = rows;
            groups.Rows[i] = held[i].M;
            groups.FirstBlock[i] = blocks;
            rows += held[i].M;
            blocks += (held[i].M + 63) / 64;
            keyTiles = Math.Max(keyTiles, held[i].KeyTiles);
        }
        groups.FirstBlock[held.Length] = blocks;
        groups.TotalRows = rows;
        ulong ob = GemmInputsOnly ? Claim(od, (long)rows * heads * headDim, only: true) : 0;
        LaunchSplit(SplitKernel.WgmmaGroups, 64, rows, heads, kvHeads, headDim, keyTiles, od, ob,
            (partO, partMl, n) => _kernels.AttentionWgmmaGroups(headDim, qd, od, ob, partO, partMl, heads, kvHeads, scaleLog2, n, groups, first.Rope),
            blockRows: 64 * blocks);
        CountMerged(held.Length, first.Rope);
    }

    private void CountMerged(int groups, QueryRope rope)
    {
        WgmmaCalls += groups;
        MergedAttentionLaunches++;
        if (rope.Cos != 0) RotatingAttentionLaunches++;
    }

    /// <summary>Merged launches whose row groups shared one pass over the keys (checks: the kernel was used).</summary>
    internal long SharedKeyLaunches { get; private set; }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.MergedGroupsShareKeys"/>.</summary>
    internal bool? SharesKeysOverride { get; set; }

    private bool SharesKeys => SharesKeysOverride ?? Options.MergedGroupsShareKeys;

    // Row groups that view the same segments, each group a prefix that never shrinks from one group to the next (rows
    // in position order, as the engine's are), and that fit one block (128 rows, the wide kernel's): the view of the
    // last row (a causal segment from the first group, whose rule then holds for every row) and each group's counts.
    // False when they do not; a block per group then runs them.
    private static bool SharedKeyView(HeldAttention[] held, out KvList union, out RowLimits limits, out int rows)
    {
        union = held[^1].List;
        limits = new RowLimits { Count = held.Length };
        rows = held.Sum(h => h.M);
        if (rows > DeviceKernels.WgmmaRows(true)) return false;
        int firstRow = 0;
        for (int g = 0; g < held.Length; g++)
        {
            var list = held[g].List;
            if (list.Count != union.Count || list.Stride != union.Stride) return false;
            limits.FirstRow[g] = firstRow;
            for (int s = 0; s < list.Count; s++)
            {
                KvSegmentView mine = list.Segment[s], last = union.Segment[s];
                if (mine.Keys != last.Keys || mine.Values != last.Values || mine.Causal != last.Causal) return false;
                bool follows = mine.Causal != 0
                    ? mine.Visible == held[0].List.Segment[s].Visible + firstRow
                    : g == 0 || mine.Visible >= held[g - 1].List.Segment[s].Visible;
                if (!follows) return false;
                limits.Visible[g * KvList.Capacity + s] = mine.Visible;
            }
            firstRow += held[g].M;
        }
        for (int s = 0; s < union.Count; s++)
            if (union.Segment[s].Causal != 0) union.Segment[s] = held[0].List.Segment[s];
        return true;
    }

    // Hopper, head_dim 64 or 128: the wgmma kernels, the keys split over blocks when there are too few of
    // them to fill the GPU. False (nothing launched) when they cannot be compiled.
    private bool WgmmaAttention(float* q, int m, int heads, int kvHeads, int headDim, float scaleLog2, int keyTiles, in KvList list, float* output, QueryRope rope)
    {
        if (!WgmmaReady(headDim)) return false;
        // Prefill at head dimension 128 takes the warp-specialised kernel (or the two-warpgroup one; 128 rows per
        // block); short queries and head dimension 64 the one-warpgroup one (RESULTS.md, sessions 5 and 9).
        bool wide = headDim == 128 && m > DeviceKernels.WgmmaRows(false);
        KvList copy = list;
        ulong qd = (ulong)q, od = (ulong)output;
        // The output projection reads it next: with GemmInputsOnly only its bf16 copy is written.
        ulong ob = GemmInputsOnly ? Claim(od, (long)m * heads * headDim, only: true) : 0;
        // Opt-in: short queries at head dimension 128 through the warp-specialised kernel as well.
        bool shortWs = !wide && headDim == 128 && WarpSpecializedAttention && (WarpSpecializedShortQueriesOverride ?? Options.WarpSpecializedShortQueries);
        KvMaps? copyEngineMaps = (wide || shortWs) && WarpSpecializedAttention ? CopyEngineMaps(copy, m, headDim, kvHeads) : null;
        void Run(bool warpSpecialized)
        {
            var kind = warpSpecialized ? SplitKernel.WgmmaWs : wide ? SplitKernel.WgmmaWide : SplitKernel.Wgmma;
            int rows = warpSpecialized ? DeviceKernels.WsRows : DeviceKernels.WgmmaRows(wide);
            KvMaps? maps = warpSpecialized ? copyEngineMaps : null;
            LaunchSplit(kind, rows, m, heads, kvHeads, headDim, keyTiles, od, ob,
                (partO, partMl, n) => _kernels.AttentionWgmma(wide, warpSpecialized, headDim, qd, od, ob, partO, partMl, m, heads, kvHeads, scaleLog2, n, copy,
                    rope, maps, PersistentWs, WideSteps));
        }
        bool ws = shortWs || wide && WarpSpecializedAttention && (WarpSpecializedAttentionOverride is not null || !Options.TunePrefillAttention ||
            FasterIsWarpSpecialized((TuningClass.Of(m), heads, kvHeads, TuningClass.Of(keyTiles), copyEngineMaps is not null), Run));
        Run(ws);
        if (shortWs) ShortQueryWsLaunches++;
        KvMaps? maps = ws ? copyEngineMaps : null;
        WgmmaCalls++;
        if (maps is not null) TmaAttentionLaunches++;
        if (maps is not null && PersistentWs) PersistentAttentionLaunches++;
        if (maps is not null && WideSteps) WideKeyStepLaunches++;
        if (rope.Cos != 0) RotatingAttentionLaunches++;
        return true;
    }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.WarpSpecializedShortQueries"/>.</summary>
    internal bool? WarpSpecializedShortQueriesOverride { get; set; }

    /// <summary>Short-query attention launches of the warp-specialised kernel (checks: the path ran).</summary>
    internal long ShortQueryWsLaunches { get; private set; }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.PersistentAttention"/>.</summary>
    internal bool? PersistentAttentionOverride { get; set; }

    private bool PersistentWs => PersistentAttentionOverride ?? Options.PersistentAttention;

    /// <summary>Warp-specialised attention launches with a block per SM taking items in turn (checks: the path ran).</summary>
    internal long PersistentAttentionLaunches { get; private set; }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.WideKeySteps"/>.</summary>
    internal bool? WideKeyStepsOverride { get; set; }

    private bool WideSteps => WideKeyStepsOverride ?? Options.WideKeySteps;

    /// <summary>Warp-specialised attention launches taking 128 keys per step (checks: the path ran).</summary>
    internal long WideKeyStepLaunches { get; private set; }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.TmaAttentionLoads"/>.</summary>
    internal bool? TmaAttentionOverride { get; set; }

    /// <summary>Warp-specialised attention launches whose K/V tiles came by the copy engine (checks: the path ran).</summary>
    internal long TmaAttentionLaunches { get; private set; }

    /// <summary>Why the copy-engine K/V loads (<see cref="CudaBackendOptions.TmaAttentionLoads"/>) were given up, or null.</summary>
    public string? TmaAttentionError { get; private set; }

    // The tensor maps the warp-specialised kernel copies K/V tiles through, or null for its cp.async loads: too many
    // segments, rows the copy engine cannot address, or a driver without tensor maps (then never again).
    private KvMaps? CopyEngineMaps(in KvList list, int m, int headDim, int kvHeads)
    {
        if (!(TmaAttentionOverride ?? Options.TmaAttentionLoads) || TmaAttentionError is not null || list.Count > KvMaps.Segments) return null;
        try
        {
            return KvMaps.For(list, m, headDim, kvHeads);
        }
        catch (ArgumentException)
        {
            return null;
        }
        catch (Exception e) when (e is CudaException or EntryPointNotFoundException)
        {
            TmaAttentionError = e.Message;
            return null;
        }
    }

    // Prefill (many rows) takes the 128-row blocks when asked; short queries always the 64-row ones,
    // with the keys split so that about two blocks per SM are resident at once (flash decoding):
    // each block keeps a 64-key tile of K and V in flight while it multiplies the previous one.
    private void PipelinedAttention(float* q, int m, int heads, int kvHeads, int headDim, float scaleLog2, int keyTiles, in KvList list, float* output)
    {
        bool wide = Options.Attention == AttentionKernel.PipelinedWide && m > DeviceKernels.PipelinedRows(false);
        KvList copy = list;
        ulong qd = (ulong)q, od = (ulong)output;
        LaunchSplit(wide ? SplitKernel.PipelinedWide : SplitKernel.Pipelined, DeviceKernels.PipelinedRows(wide), m, heads, kvHeads, headDim, keyTiles, od, 0,
            (partO, partMl, n) => _kernels.AttentionPipelined(wide, headDim, qd, od, partO, partMl, m, heads, kvHeads, scaleLog2, n, copy));
    }

    private enum SplitKernel { Pipelined, PipelinedWide, Wgmma, WgmmaWide, WgmmaGroups, WgmmaWs, WgmmaRows, WgmmaRowsWide }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.WarpSpecializedAttention"/>.</summary>
    internal bool? WarpSpecializedAttentionOverride { get; set; }

    private bool WarpSpecializedAttention => WarpSpecializedAttentionOverride ?? Options.WarpSpecializedAttention;

    // A kernel that can split the keys (`launch(partO, partMl, splits)`), `rows` query rows per block, run
    // with the split chosen (for short queries, tuned) for this shape, then the merge of its partials.
    // blockRows: what the split is chosen for when it is not m, for a launch of several row groups (their
    // blocks × rows); such a launch is a short query's.
    private void LaunchSplit(SplitKernel kind, int rows, int m, int heads, int kvHeads, int headDim, int keyTiles, ulong output, ulong outputBf16,
        Action<ulong, ulong, int> launch, int? blockRows = null)
    {
        int planned = blockRows ?? m;
        void Run(int splits) => RunSplit(splits, headDim, output, outputBf16, m, heads, launch);
        // Tuned per power-of-two class of rows and key tiles: a decode step crosses into a new tile every
        // 64 tokens and suffixes vary in length, and timing each exact shape would stall those calls.
        var shape = (TuningClass.Of(planned), heads, kvHeads, headDim, TuningClass.Of(keyTiles), kind);
        Run(Splits(planned, heads, keyTiles, rows, shape, Run, shortQuery: blockRows is not null || m <= SkinnyGemmPlan.MaxRows));
    }

    // Key splits for a kernel of `rows` query rows per block: forced by the options, one when the blocks
    // already fill a wave, else about two blocks per SM; for short queries, optionally timed around that.
    private int Splits(int m, int heads, int keyTiles, int rows, (int, int, int, int, int, SplitKernel) shape, Action<int> run, bool shortQuery)
    {
        int cap = Math.Min(Math.Max(keyTiles, 1), DeviceKernels.MaxAttentionSplits);
        if (Options.AttentionSplits > 0) return Math.Max(1, Math.Min(Options.AttentionSplits, cap));
        long blocks = (long)((m + rows - 1) / rows) * heads;
        // Rounded down: one full wave. Each split also writes and re-reads m × head_dim partials per
        // head, so more splits than that cost bandwidth (at m = 48, 8 splits already add ~20 %).
        long target = 2L * _device.MultiprocessorCount;
        if (blocks >= target) return 1;
        int splits = (int)Math.Clamp(target / blocks, 1, cap);
        return Options.TuneAttentionSplits && shortQuery ? TunedSplits(shape, splits, keyTiles, run) : splits;
    }

    // One launch of a kernel that can split the keys (`launch(partO, partMl, splits)`), then the merge of
    // its partial results when it did (into output, or only its bf16 copy when outputBf16 is not 0).
    private void RunSplit(int splits, int headDim, ulong output, ulong outputBf16, int m, int heads, Action<ulong, ulong, int> launch)
    {
        if (splits == 1)
        {
            launch(0, 0, 1);
            return;
        }
        long partialRows = (long)splits * m * heads;
        ulong partials = _partials.Get(partialRows * (headDim + 2) * sizeof(float));
        ulong partO = partials, partMl = partials + (ulong)(partialRows * headDim * sizeof(float));
        launch(partO, partMl, splits);
        _kernels.AttentionCombine(headDim, partO, partMl, output, outputBf16, m, heads, splits);
    }

    private readonly Dictionary<(int, int, int, int, int, SplitKernel), int> _attentionSplits = new();
    private readonly List<string> _attentionTuneLog = new();

    /// <summary>
    /// One line per attention shape class timed so far: short queries' key splits (<see cref="CudaBackendOptions.TuneAttentionSplits"/>)
    /// and prefills' kernel (<see cref="CudaBackendOptions.TunePrefillAttention"/>).
    /// </summary>
    public IReadOnlyList<string> AttentionTuneLog
    {
        get
        {
            using (Enter()) return _attentionTuneLog.ToArray();
        }
    }

    private readonly Dictionary<(int Rows, int Heads, int KvHeads, int KeyTiles, bool CopyEngine), bool> _prefillKernels = new();

    // Prefill attention at head dimension 128: whether the warp-specialised kernel beats the two-warpgroup one for this
    // shape class, timed at its first call (median of 3 after one run each, GPU events; each run writes the same output).
    private bool FasterIsWarpSpecialized((int Rows, int Heads, int KvHeads, int KeyTiles, bool CopyEngine) key, Action<bool> run)
    {
        if (_prefillKernels.TryGetValue(key, out bool known)) return known;
        _device.BreakCapture(); // timed with events: runs directly
        double ws = _device.MedianMilliseconds(() => run(true), 3), twoGroups = _device.MedianMilliseconds(() => run(false), 3);
        bool faster = ws <= twoGroups;
        _prefillKernels[key] = faster;
        _attentionTuneLog.Add($"prefill attention {key.Rows} rows x {key.Heads}/{key.KvHeads} heads over {key.KeyTiles} key tiles" +
            $"{(key.CopyEngine ? ", copy-engine loads" : "")}: warp-specialised {ws * 1e3:0}us, two warpgroups {twoGroups * 1e3:0}us -> " +
            (faster ? "warp-specialised" : "two warpgroups"));
        return faster;
    }

    // Short queries over long contexts: the key split that fills the GPU best depends on the context
    // length and the tile pipeline; time a few around the computed one at the first call of the shape
    // class (median of 5, GPU events; each run writes the same output) and keep the fastest for it.
    private int TunedSplits((int, int, int, int, int, SplitKernel) key, int computed, int keyTiles, Action<int> run)
    {
        int cap = Math.Min(Math.Max(keyTiles, 1), DeviceKernels.MaxAttentionSplits);
        if (_attentionSplits.TryGetValue(key, out int known)) return Math.Min(known, cap);
        _device.BreakCapture(); // timed with events: runs directly
        var candidates = new[] { computed / 2, computed, computed * 3 / 2, computed * 2, computed * 3, computed * 4 }
            .Select(c => Math.Clamp(c, 1, cap)).Distinct().ToArray();
        int best = computed;
        double bestMs = double.MaxValue;
        var parts = new List<string>();
        foreach (int c in candidates)
        {
            double ms = _device.MedianMilliseconds(() => run(c), 5);
            parts.Add($"{c} splits {ms * 1e3:0}us");
            if (ms < bestMs) (best, bestMs) = (c, ms);
        }
        _attentionSplits[key] = best;
        _attentionTuneLog.Add($"attention {key.Item1} rows x {key.Item2}/{key.Item3} heads over {keyTiles} key tiles (up to {key.Item5}): {string.Join(", ", parts)} -> {best}");
        return best;
    }

    /// <summary>Whether the pipelined attention kernels (attention_pipelined.cu) handle <paramref name="headDim"/>.</summary>
    public static bool PipelinedSupported(int headDim) => headDim % 32 == 0 && headDim > 0 && headDim <= 128;

    /// <summary>Whether the tensor-core attention kernel handles <paramref name="headDim"/>.</summary>
    public static bool TiledSupported(int headDim) => headDim % 16 == 0 && headDim <= 128;

    // Few query rows over a long context leave most SMs idle; split the keys so that about two
    // blocks per SM run, but never more splits than key tiles.
    private int ChooseSplits(int m, int heads, int keyTiles)
    {
        if (Options.AttentionSplits > 0) return Math.Max(1, Math.Min(Options.AttentionSplits, Math.Min(Math.Max(keyTiles, 1), DeviceKernels.MaxAttentionSplits)));
        long blocks = (long)((m + 63) / 64) * heads;
        long target = 2L * _device.MultiprocessorCount;
        if (blocks >= target) return 1;
        return (int)Math.Clamp((target + blocks - 1) / blocks, 1, Math.Min(Math.Max(keyTiles, 1), DeviceKernels.MaxAttentionSplits));
    }
}
