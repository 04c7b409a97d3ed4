namespace PromptCache.Cuda.Backend;

/// <summary>Which attention kernel runs.</summary>
public enum AttentionKernel
{
    /// <summary>
    /// The tiled tensor-core kernel where the head dimension allows (multiple of 16, at most 128), else
    /// the simple one; on Hopper with a head dimension of 64 or 128, the wgmma kernel
    /// (<see cref="CudaBackendOptions.WgmmaAttention"/>).
    /// </summary>
    Auto,

    /// <summary>One warp per (row, head), scalar f32: any head dimension; the reference path.</summary>
    Simple,

    /// <summary>The tiled tensor-core kernel (throws when the head dimension does not allow it).</summary>
    Tiled,

    /// <summary>The tiled kernel fetching V fragments with <c>ldmatrix.trans</c> (fewer shared-memory instructions).</summary>
    TiledLdmatrix,

    /// <summary>
    /// The pipelined kernel (attention_pipelined.cu): K and V tiles by cp.async, double-buffered, K and
    /// V fragments by ldmatrix, per-warp causal skipping, 64 query rows per block; short queries split
    /// the keys over enough blocks to fill the GPU. Head dimensions that are multiples of 32 up to 128.
    /// </summary>
    Pipelined,

    /// <summary>
    /// As <see cref="Pipelined"/>, but blocks of 128 query rows (8 warps) when more than 64 rows are
    /// new (prefill); short queries use the 64-row kernel.
    /// </summary>
    PipelinedWide,
}

/// <summary>How GEMMs with few activation rows (cached suffixes, decode steps) run.</summary>
public enum SkinnyGemmPath
{
    /// <summary>cublasGemmEx with the default algorithm, like every other GEMM.</summary>
    CublasGemmEx,

    /// <summary>
    /// cuBLASLt: at the first call of each shape class (row count rounded up to a power of two) the
    /// heuristic's candidates and cublasGemmEx are timed on the real operands and the fastest is kept
    /// for the class (cublasGemmEx when cuBLASLt fails).
    /// </summary>
    CublasLtTuned,

    /// <summary>
    /// The backend's own weight-streaming kernel (skinny_gemm.cu, tensor cores, K split across blocks),
    /// and GEMMs that share their input (q/k/v, gate/up) in one launch once the backend has seen them
    /// called back to back. Inner dimensions that are not a multiple of 32 use cublasGemmEx.
    /// </summary>
    Kernel,

    /// <summary>
    /// The default. On Hopper (SM 9.0): <see cref="Kernel"/> with the <see cref="SkinnyKernelVariant.Wgmma"/> kernel,
    /// whatever <see cref="CudaBackendOptions.SkinnyVariant"/> says, launched as programmatic dependents with
    /// <see cref="CudaBackendOptions.DependentLaunches"/>. On the H100 (benchmarks/RESULTS.md, session 16) a 7B decode step
    /// took 6.16 ms with it against 6.7–6.8 ms with cuBLASLt tuned and fused groups, the previous default; a cached
    /// 4096+48 call 7.33 against 7.36 ms, within the noise between calls. Its partial sums are added with atomics, so
    /// outputs may differ in the last bits from run to run; <see cref="CublasLtTuned"/> is reproducible. Elsewhere
    /// <see cref="CublasLtTuned"/>, the fastest where the wgmma kernel does not exist.
    /// </summary>
    Auto,
}

/// <summary>The skinny-GEMM kernels of skinny_gemm.cu.</summary>
public enum SkinnyKernelVariant
{
    /// <summary>Chosen per shape by measurement at its first call (cuBLAS included).</summary>
    Auto,

    /// <summary>64 weight rows per block (2 row groups × 4 warps along K), two 32-column chunks in flight per warp, two blocks per SM.</summary>
    Rows64,

    /// <summary>32 weight rows per block (8 warps along K), the next four chunks requested while four are multiplied.</summary>
    Rows32,

    /// <summary>64 weight rows per block with the next four chunks requested while four are multiplied (one block per SM).</summary>
    Rows64Pipelined,

    /// <summary>
    /// Hopper (SM 9.0) only: skinny_wgmma.cu. The copy engine (TMA) streams 128-row × 64-column weight tiles and the
    /// activations into shared memory, warpgroup tensor cores multiply, and a persistent grid splits the (row tile, k step)
    /// units evenly (stream-K), adding partial tiles into outputs zeroed first. With <see cref="CudaBackendOptions.DependentLaunches"/>
    /// its weight copies start while the kernel before it still runs. A group (q/k/v, gate/up) is one launch of it, with or
    /// without <see cref="CudaBackendOptions.FusedGroupGemm"/>. Elsewhere, or for rows the copy engine cannot read
    /// (unaligned, or an inner dimension that is not a multiple of 8), <see cref="Rows64"/> runs instead.
    /// </summary>
    Wgmma,
}

/// <summary>Settings of a <see cref="CudaBackend"/>.</summary>
public sealed class CudaBackendOptions
{
    /// <summary>The GPU to use.</summary>
    public int DeviceOrdinal { get; init; }

    /// <summary>
    /// Where compiled kernels are cached; null picks <c>$PROMPTCACHE_CUDA_CACHE</c> or
    /// <c>~/.cache/promptcache/cuda</c>; an empty string disables the disk cache.
    /// </summary>
    public string? KernelCacheDirectory { get; init; }

    /// <summary>
    /// Also write K/V computed on the GPU back into the host memory of its <c>KvSegment</c>, so the
    /// segment can be saved, cloned or used by the CPU backend. Costs a device-to-host copy per layer;
    /// turn off when segments only ever live on this GPU (benchmarks, a pure GPU server). A long prefill
    /// produces K/V faster than the copy-back drains it (~13 GB/s through the pinned ring into the segment),
    /// so it runs at the drain's pace: H100, a 4096-token Llama-2-7B prefill writes 2.1 GB of K/V and took
    /// 139 ms with it against 89 ms without (RESULTS.md, session 14). Short calls do not notice it.
    /// </summary>
    public bool KvHostWriteBack { get; init; } = true;

    /// <summary>
    /// Record each forward's launches as a few CUDA graphs (chunks of ~2 layers, each launched as soon as it
    /// is recorded, updated in place on the next call) instead of launching every kernel on its own, which
    /// leaves the GPU idle between short kernels (GraphChunks). H100, cached 4096+48 on the Llama-2-7B shape:
    /// 7.0–7.8 ms against 8.3, a decode step 7.0–7.1 against 7.4–7.5 (RESULTS.md, session 4). With the
    /// asynchronous <see cref="KvHostWriteBack"/> (the default) the copy-back of the rows a chunk stores is
    /// queued when the chunk is launched (f32 segments end the chunk at every layer instead); with the
    /// synchronous one graphs are not used, since each layer's download would end the chunk.
    /// </summary>
    public bool CudaGraphs { get; init; } = true;

    /// <summary>
    /// Byte budget of the device tier: K/V copies of segments in GPU memory. Past it the least recently
    /// used copies not needed by the forward in flight are dropped (their segments keep their host bytes,
    /// saved first when <see cref="KvHostWriteBack"/> is off, and are loaded again when next attended to).
    /// 0 (default): no budget of its own; idle copies are still dropped when an allocation finds the
    /// device full.
    /// </summary>
    public long DeviceKvBudgetBytes { get; init; }

    /// <summary>
    /// With <see cref="KvHostWriteBack"/>: copy back asynchronously (a staging ring, a copy stream and a
    /// drain thread; the segment's host bytes are waited for when read), so the thread issuing kernels
    /// never waits for the GPU. False copies each layer synchronously, stalling that thread per layer: the
    /// reference the asynchronous path is timed and checked against.
    /// </summary>
    public bool AsyncHostWriteBack { get; init; } = true;

    /// <summary>Which attention kernel to use.</summary>
    public AttentionKernel Attention { get; init; } = AttentionKernel.Auto;

    /// <summary>
    /// On Hopper GPUs (SM 9.0) with a head dimension of 64 or 128, attention runs the wgmma kernel
    /// (attention_wgmma.cu, compiled for sm_90a) whatever <see cref="Attention"/> says, unless that is
    /// <see cref="AttentionKernel.Simple"/>; short queries split the keys as the pipelined kernel does. On
    /// the H100 it ran a causal 8192-row prefill at ~360 TFLOP/s against ~200 for the pipelined kernel,
    /// and 48 rows over 4096 keys (GQA 32/8) in 32 µs against 40. When the kernel cannot be compiled or
    /// loaded, the reason is kept in <see cref="CudaBackend.WgmmaAttentionError"/> and the other kernels run.
    /// </summary>
    public bool WgmmaAttention { get; init; } = true;

    /// <summary>
    /// Opt-in. Above <see cref="SkinnyGemmMaxRows"/> rows (prefill), two GEMMs of one size called back to
    /// back on one input and followed by SiluMul over their outputs (gate, up) write bf16, and SiLU·mul
    /// reads that: half the bytes of both passes (on the H100, 8192 tokens of a 7B shape move ~23 GB
    /// less; prefill 3-5 % faster). The two products are rounded to bf16 before SiLU·mul, as in a bf16
    /// model, and the up buffer is left holding that scratch
    /// (<see cref="PromptCache.Runtime.Backends.IComputeBackend.SiluMul"/> allows it). Off by default:
    /// on a 640-token random model the extra rounding moved top-1 agreement with transformers' f64
    /// logits from 99.4 % to 98.9-99.1 % (near-ties), under the 99 % the parity checks ask for. Where
    /// <see cref="FusedSwiGluGemm"/> runs (Hopper), it takes the pair first and this option has no effect.
    /// </summary>
    public bool Bf16SwiGlu { get; init; }

    /// <summary>
    /// On Hopper GPUs (SM 9.0), on by default. Above <see cref="SkinnyGemmMaxRows"/> rows (prefill), two GEMMs of one
    /// size called back to back on one input and followed by SiluMul over their outputs (gate, up) run as one kernel
    /// (gemm_wgmma.cu: TMA and wgmma) that applies SiLU·mul to the f32 products in registers and writes only the
    /// down projection's bf16 input: the two f32 outputs are never written or read back. The values are the ones
    /// the separate path computes (f32 accumulation, one rounding to bf16; on the H100 the kernel check found them
    /// bit for bit equal to cuBLAS + silu_mul). Needs <see cref="Bf16GemmInputsOnly"/> (the f32 SwiGLU output is
    /// not written) and feed-forward and input widths that are multiples of 8; otherwise, or when the kernel cannot
    /// be built, the cuBLAS path runs (the reason is kept in <see cref="CudaBackend.SwiGluGemmError"/>). The up
    /// buffer is left unspecified, as SiluMul allows. H100, 4096 × 11008 × 4096: 0.99 ms against 1.18 ms for
    /// cuBLAS and the SiLU·mul pass.
    /// </summary>
    public bool FusedSwiGluGemm { get; init; } = true;

    /// <summary>
    /// On by default. The SwiGLU GEMM (<see cref="FusedSwiGluGemm"/>) runs as clusters of two blocks that take two row
    /// tiles of one column tile and copy each half of its gate/up weights into both blocks' shared memory (TMA multicast):
    /// a block reads 32 KB from L2 per k step instead of 48. The arithmetic is the same, so the output is the same to the
    /// bit. The gain shows under sustained load, where the GPU runs at its power cap: H100 GEMM check, 32-launch bursts,
    /// 4096 × 11008 × 4096: 1.18 → 1.09 ms; alone both take 0.99 ms. Off, or where the driver cannot report that a cluster of
    /// two fits (the reason in <see cref="CudaBackend.PairedSwiGluError"/>), the kernel runs one block per tile.
    /// </summary>
    public bool PairedSwiGluGemm { get; init; } = true;

    /// <summary>
    /// On by default. The warp-specialised prefill attention (<see cref="WarpSpecializedAttention"/>) has its K/V tiles
    /// copied by the copy engine (TMA: one thread, tensor maps of the segments' rows) instead of 128 threads issuing
    /// cp.async, when the call attends to at most 4 segments. The tiles land in the same swizzled layout, so the
    /// output is the same. H100 kernel check, causal prefill, 32 heads: 0.367 → 0.352 ms at 4096 rows, 1.214 → 1.150 ms
    /// at 8192. A driver without tensor maps keeps the cp.async loads (the reason in
    /// <see cref="CudaBackend.TmaAttentionError"/>).
    /// </summary>
    public bool TmaAttentionLoads { get; init; } = true;

    /// <summary>
    /// On by default. The warp-specialised prefill attention with copy-engine loads (<see cref="TmaAttentionLoads"/>) runs
    /// as one block per SM, each taking work items (a head × 128 query rows) in turn from a counter, instead of a block
    /// per item: a block's next item has its query rows loaded and rotated and its first K/V tiles copied by the
    /// producer warps while its consumers finish the current one. The items and their arithmetic are the same, so the
    /// output is the same to the bit. H100 kernel check, causal prefill, 32 heads, q rotated as it loads: 0.367 → 0.345 ms
    /// at 4096 rows, 1.233 → 1.165 ms at 8192.
    /// </summary>
    public bool PersistentAttention { get; init; } = true;

    /// <summary>
    /// On by default. The warp-specialised prefill attention with copy-engine loads (<see cref="TmaAttentionLoads"/>) takes
    /// 128 keys per step instead of 64 (attention_wgmma_ws128): one m64n128 product per 16 dimensions for the scores, and
    /// the softmax's reductions, the output's rescale and the barrier waits once per 128 keys. Its consumers take 232
    /// registers from the producer warps (setmaxnreg) and take turns at the tensor cores (one's softmax runs while the
    /// other's products do). The sums run in another order, so the output differs from the 64-key kernel's by rounding.
    /// H100 kernel check, causal prefill, 32 heads, persistent blocks, q rotated as it loads: 0.330 → 0.300 ms at 4096
    /// rows, 1.260 → 1.093 ms at 8192.
    /// </summary>
    public bool WideKeySteps { get; init; } = true;

    /// <summary>
    /// On by default. Above <see cref="SkinnyGemmMaxRows"/> rows (prefill), the output and down projections add their
    /// product into the residual stream inside the GEMM (cuBLAS with beta 1, the tuned algorithm of the shape) instead
    /// of writing it for an add (or the add fused with the next RMSNorm) to read back: at a 4096-token 7B prefill,
    /// 64 MB less traffic per projection. The sum is the same f32 addition, rounded once. Short queries keep their
    /// paths (skinny kernels, the add fused with the next norm). Off: every <c>MatMulAdd</c> is a GEMM and an add.
    /// </summary>
    public bool ResidualInGemm { get; init; } = true;

    /// <summary>
    /// On by default. The outputs that the model passes only to a GEMM (a norm into another buffer, SwiGLU,
    /// attention on Hopper's wgmma kernels) are written as the GEMM's bf16 input alone, not also as f32:
    /// at a 4096-token 7B prefill that is ~5 GB of writes and a conversion pass fewer. The logits do not
    /// change (the GEMMs read the same bf16 values). Anything else that reads such a buffer through the
    /// backend (RoPE, an add, <c>CopyToHost</c>) first gets it widened back, so it sees the values rounded
    /// to bf16 rather than the f32 ones. Off: every activation is also written in f32.
    /// </summary>
    public bool Bf16GemmInputsOnly { get; init; } = true;

    /// <summary>
    /// Key splits for the tiled kernel (split-K "flash decoding"); 0 chooses from the SM count. A forced
    /// value is capped at the key tiles of the call and at 64, the most the merge kernel combines.
    /// </summary>
    public int AttentionSplits { get; init; }

    /// <summary>
    /// Short queries (at most 64 rows) and <see cref="AttentionSplits"/> 0: at the first call of each
    /// shape class (heads; rows and key tiles each rounded up to a power of two), time a few key splits
    /// around the computed one and keep the fastest for the class. Classes rather than exact shapes, so a
    /// decode step does not stop to time again each time its context reaches a new 64-key tile.
    /// </summary>
    public bool TuneAttentionSplits { get; init; } = true;

    /// <summary>
    /// How GEMMs of at most <see cref="SkinnyGemmMaxRows"/> activation rows run. Default:
    /// <see cref="SkinnyGemmPath.Auto"/>, the Hopper wgmma kernel on SM 9.0 and cuBLASLt with the algorithm timed per
    /// shape elsewhere.
    /// </summary>
    public SkinnyGemmPath SkinnyGemm { get; init; } = SkinnyGemmPath.Auto;

    /// <summary>
    /// On by default. GEMMs with more rows than <see cref="SkinnyGemmMaxRows"/> (prefill) also take the
    /// cuBLASLt algorithm that measured fastest for their shape and row class, instead of cublasGemmEx's
    /// default choice. The first prefill of each new shape class pays the timing once (cublasGemmEx and up to
    /// 16 cuBLASLt candidates, 6 runs each: ~0.15 s for the three shapes of a 7B layer at 8192 rows).
    /// </summary>
    public bool TunedPrefillGemms { get; init; } = true;

    /// <summary>The most activation rows a GEMM may have to count as skinny (at most 64 for <see cref="SkinnyGemmPath.Kernel"/>).</summary>
    public int SkinnyGemmMaxRows { get; init; } = 64;

    /// <summary>
    /// Which skinny-GEMM kernel (<see cref="SkinnyGemmPath.Kernel"/>) runs. <see cref="SkinnyKernelVariant.Auto"/>
    /// times, at the first call of each shape, every variant with its own and with no K split, plus
    /// cublasGemmEx and cuBLASLt, on the real operands, and keeps the fastest for that shape.
    /// </summary>
    public SkinnyKernelVariant SkinnyVariant { get; init; } = SkinnyKernelVariant.Auto;

    /// <summary>
    /// On by default. The <see cref="SkinnyKernelVariant.Wgmma"/> skinny GEMM and the zeroing of its outputs start as
    /// programmatic dependent launches (SM 9.0+): their blocks come up while the kernel before them finishes, the GEMM's
    /// first weight copies go out at once, and both wait in the kernel for the previous one's results. Once that GEMM has
    /// run, the kernels between such GEMMs (RMSNorm, the residual add + RMSNorm, SiLU·mul, the RoPE K/V store, the
    /// attention's split merge) start as dependents too: each waits for its predecessor first thing and lets its successor
    /// start. A driver that refuses such launches gets plain ones (<see cref="CudaBackend.DependentLaunchError"/>).
    /// </summary>
    public bool DependentLaunches { get; init; } = true;

    /// <summary>K splits across blocks of the skinny-GEMM kernel (added with atomics); 0 chooses from the SM count.</summary>
    public int SkinnySplits { get; init; }

    /// <summary>
    /// Fuse a residual <c>Add(x, r)</c> with the <c>RmsNorm(x, ...)</c> that follows it on the same rows
    /// (fused_norm.cu): the add is held back until the next call, and run alone when that call is
    /// anything else. Rows whose width is not a multiple of 4, or at most 256, are not fused.
    /// </summary>
    public bool FuseResidualNorm { get; init; } = true;

    /// <summary>RoPE with one block per token over all heads and paired accesses (rope_rows of fused_norm.cu) instead of a block per token and head.</summary>
    public bool RowRope { get; init; } = true;

    /// <summary>
    /// GEMMs that share their input (q/k/v, gate/up; learned from the first forward) with at most
    /// <see cref="SkinnyGemmMaxRows"/> activation rows run as ONE cuBLAS(Lt) GEMM over their weights
    /// placed back to back in one allocation (moved there at the group's first fused call; no second
    /// copy), then one small kernel hands each member its rows; gate/up are split by the SiLU·mul that
    /// consumes them (group_split.cu). Groups whose weights cannot be made contiguous, or whose outputs
    /// are not 16-byte aligned multiples of 4 floats, run apart; so does everything when group_split.cu
    /// fails to build (<see cref="CudaBackend.FusedGroupError"/>).
    /// Prefill is not fused: splitting thousands of rows costs more than the one launch saves.
    /// </summary>
    public bool FusedGroupGemm { get; init; } = true;

    /// <summary>
    /// Consecutive short-query attention calls of one layer (the row groups a forward splits its rows into when
    /// they see different parts of the context, as the engine's arguments do) run as one wgmma launch
    /// (attention_wgmma_groups, a block per group; or one block for all, see <see cref="MergedGroupsShareKeys"/>)
    /// instead of one each. Up to four groups of together at most 128 rows; with the wgmma kernels only.
    /// </summary>
    public bool MergeAttentionGroups { get; init; } = true;

    /// <summary>
    /// With <see cref="MergeAttentionGroups"/>: held row groups of together at most 128 rows that view the same
    /// segments (each a prefix of it, growing from one group to the next) run as one block per head that reads each
    /// K/V tile once, every row masked to the keys its group sees (attention_wgmma_rows, or _wide above 64 rows),
    /// instead of a block per group each re-reading the keys the groups share. The engine's arguments and suffix
    /// form such groups.
    /// </summary>
    public bool MergedGroupsShareKeys { get; init; } = true;

    /// <summary>
    /// With <see cref="WgmmaAttention"/>: prefill attention at head dimension 128 runs the warp-specialised kernel
    /// (attention_wgmma_ws: a producer warpgroup copies K/V tiles into a four-stage ring, two consumer warpgroups
    /// overlap each tile's softmax with the previous tile's P·V) instead of the two-warpgroup kernel. H100 kernel
    /// check, 8192-row causal prefill: 440-451 against 396-410 TFLOP/s; 7B prefill at 8192 tokens 226.7 against 232.2 ms.
    /// </summary>
    public bool WarpSpecializedAttention { get; init; } = true;

    /// <summary>
    /// Opt-in; measured slower in the model (H100, 7B, cached 4096+48: 7.22 against 7.14 ms; 8192+48: 7.87 against 7.78;
    /// benchmarks/RESULTS.md, session 16). With <see cref="WarpSpecializedAttention"/>: short queries (at most 64 rows:
    /// a cached call's new tokens, a decode step) at head dimension 128 run the warp-specialised kernel too, its producer
    /// keeping a ring of K/V tiles in flight (by the copy engine with <see cref="TmaAttentionLoads"/>), with the key split
    /// tuned per shape. The one-warpgroup kernel they run by default read their K/V at 2.3× the floor in the H100 kernel
    /// check (48 rows over 4096 keys: 46.9 µs against 20.3; benchmarks/RESULTS.md, session 15): it holds few tiles in flight.
    /// </summary>
    public bool WarpSpecializedShortQueries { get; init; }

    /// <summary>
    /// On by default, with <see cref="WarpSpecializedAttention"/>: at the first prefill of each shape class (heads, KV heads;
    /// rows and key tiles each rounded up to a power of two; whether the copy engine loads K/V), time the warp-specialised
    /// and the two-warpgroup kernels (median of 3 runs each after one, GPU events; each run writes the same output) and keep
    /// the faster for the class. Neither wins everywhere: H100 kernel check (session 12), the two-warpgroup kernel 0.319
    /// against 0.340 ms at 4096 rows with RoPE, the warp-specialised one 0.127 against 0.135 ms at 2048, even at 8192.
    /// Off: <see cref="WarpSpecializedAttention"/> alone decides. The choices made are in
    /// <see cref="CudaBackend.AttentionTuneLog"/>.
    /// </summary>
    public bool TunePrefillAttention { get; init; } = true;

    /// <summary>
    /// RoPE on q and k is applied by their readers instead of a pass of its own: the K/V store rotates K on its
    /// way into the segment, and the wgmma attention kernels rotate q as they load it. Same bits as the RoPE
    /// kernel; a prefill saves a read and a write of q and of k (7B prefill on the H100: 4096 tokens 104.7 against
    /// 107.6 ms, 8192 230.7 against 237.1). A reader that cannot rotate (another attention kernel, an f32 host
    /// copy-back, anything else) gets the RoPE pass queued before it, so every reader still sees rotated values.
    /// </summary>
    public bool RopeInReaders { get; init; } = true;

    /// <summary>
    /// With <see cref="RopeInReaders"/>: the value projection's GEMM, when the K/V store is the next call to read it,
    /// writes bf16 straight into the segment's device copy instead of f32 that the store then converts (7B prefill:
    /// one f32 write and read of V fewer per layer; H100: 4096 tokens 104.9 against 106.5 ms, 8192 227.7 against 230.7).
    /// Not when the segment's host copy-back needs f32 rows.
    /// </summary>
    public bool ValuesIntoSegment { get; init; } = true;

    /// <summary>
    /// Every fused or tuned fast path off (cublasGemmEx at every size, separate add and norm, per-head RoPE,
    /// no GEMM groups, computed attention splits, RoPE as a pass of its own, kernels launched one by one, every
    /// activation written in f32, gate/up GEMMs and SiLU·mul apart, residual adds after their GEMMs, no wgmma
    /// kernel unless asked, and then the warp-specialised one only if asked too): the plain reference path the
    /// fast ones are checked against.
    /// </summary>
    public static CudaBackendOptions Unfused(AttentionKernel attention = AttentionKernel.Auto, int attentionSplits = 0, bool kvHostWriteBack = true,
        bool asyncHostWriteBack = true, long deviceKvBudgetBytes = 0, bool wgmma = false, bool warpSpecialized = false) => new()
    {
        WgmmaAttention = wgmma,
        WarpSpecializedAttention = warpSpecialized,
        AsyncHostWriteBack = asyncHostWriteBack,
        DeviceKvBudgetBytes = deviceKvBudgetBytes,
        Attention = attention,
        AttentionSplits = attentionSplits,
        KvHostWriteBack = kvHostWriteBack,
        SkinnyGemm = SkinnyGemmPath.CublasGemmEx,
        TuneAttentionSplits = false,
        TunePrefillAttention = false,
        FuseResidualNorm = false,
        RowRope = false,
        FusedGroupGemm = false,
        CudaGraphs = false,
        TunedPrefillGemms = false,
        Bf16GemmInputsOnly = false,
        MergeAttentionGroups = false,
        MergedGroupsShareKeys = false,
        RopeInReaders = false,
        ValuesIntoSegment = false,
        FusedSwiGluGemm = false,
        PairedSwiGluGemm = false,
        ResidualInGemm = false,
        TmaAttentionLoads = false,
        PersistentAttention = false,
        WideKeySteps = false,
        DependentLaunches = false,
    };
}
