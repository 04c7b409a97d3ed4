using PromptCache.Cuda.Interop;

namespace PromptCache.Cuda.Backend;

// The GEMM kernels' launchers: the skinny GEMMs (skinny_gemm.cu, skinny_wgmma.cu) and the SwiGLU GEMM (gemm_wgmma.cu).
internal sealed unsafe partial class DeviceKernels
{
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
    /// shared-memory limit, once per token tile: a build error surfaces here, before anything is queued.
    /// </summary>
    public void PrepareSkinnyWgmma(int m)
    {
        int slot = SkinnyWgmmaPlan.TokenTile(m) / 8;
        if (_skinnyWgmma[slot] != IntPtr.Zero) return;
        IntPtr function = _modules.SkinnyWgmma(SkinnyWgmmaPlan.Kernel(m));
        EnsureDynamicShared(function, SkinnyWgmmaPlan.SharedBytes(m));
        _skinnyWgmmaZero = _modules.SkinnyWgmma("skinny_wgmma_zero");
        _skinnyWgmma[slot] = function;
    }

    // skinny_wgmma.cu's kernel of each token tile (at tile / 8) and its zeroing, once prepared: launches look nothing up.
    private readonly IntPtr[] _skinnyWgmma = new IntPtr[SkinnyWgmmaPlan.MaxRows / 8 + 1];
    private IntPtr _skinnyWgmmaZero;

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
        LaunchMaybeDependent(_skinnyWgmmaZero, zeroBlocks, 1, Threads, z, 0, dependent);
        uint grid = (uint)SkinnyWgmmaPlan.Grid(copy.Tiles[copy.Count], k, _device.MultiprocessorCount);
        void** a = stackalloc void*[] { &copy, &x, &m, &k };
        LaunchMaybeDependent(_skinnyWgmma[SkinnyWgmmaPlan.TokenTile(m) / 8], grid, 1, SkinnyWgmmaPlan.Threads, a, (uint)SkinnyWgmmaPlan.SharedBytes(m), dependent);
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
