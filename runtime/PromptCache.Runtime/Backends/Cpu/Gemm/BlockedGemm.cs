using System.Runtime.CompilerServices;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// The packed, cache-blocked GEMM (the Goto/BLIS scheme) for m ≥ 2:
/// <list type="number">
/// <item>A block of up to <see cref="McMax"/> rows of A is packed once per call into a buffer all
/// workers share (in parallel, panel by panel).</item>
/// <item>The columns of C are cut into chunks that workers take dynamically (so a core slowed by
/// another process does not hold the others back). For each k block of <see cref="Kc"/> values, a
/// worker converts and packs its chunk of W (Kc × chunk floats, sized to stay in L2) and runs the
/// register-tile micro-kernel over every A panel × W panel; the A panel (Mr × Kc) stays in L1.</item>
/// </list>
/// </summary>
internal static unsafe class BlockedGemm
{
    /// <summary>k block: a W panel of Kc × 32 floats is 32 KiB, a multiple of the Q8_0 block.</summary>
    public const int Kc = 256;

    /// <summary>
    /// Rows of A packed at once. It bounds the shared buffer to McMax·k floats (4 MiB at k = 2048,
    /// which counts against the runtime's memory budget) and keeps one k block of it (512 KiB) within
    /// L2; W is converted again per block of rows, which at 512 rows costs ~1.5 % of the arithmetic.
    /// </summary>
    public const int McMax = 512;

    /// <summary>Widest column chunk: Kc × 256 floats = 256 KiB of packed W, a quarter of L2.</summary>
    public const int NcMax = 256;

    public static void Run(float* a, int m, int k, void* w, WeightType wType, int n, float* c, GemmPath path)
    {
        var (mr, nr) = TileOf(path);
        long rowBytes = WeightLayout.RowBytes(wType, k);
        int workers = Environment.ProcessorCount;

        // Enough chunks for dynamic balancing (about two per worker), each a multiple of nr.
        int chunk = Math.Clamp(PackA.RoundUp((n + 2 * workers - 1) / (2 * workers), nr), nr, NcMax);
        int chunks = (n + chunk - 1) / chunk;

        ScratchBuffer shared = BufferPool.Rent();
        try
        {
            for (int row0 = 0; row0 < m; row0 += McMax)
            {
                int rows = Math.Min(McMax, m - row0);
                int panels = (rows + mr - 1) / mr;
                float* ap = shared.Get(PackA.Size(rows, k, mr));
                nint apn = (nint)ap, an = (nint)a;
                int r0 = row0;

                GemmWorkers.For(panels, panel =>
                    PackA.PackPanel((float*)an, k, r0, rows, panel, mr, Kc, (float*)apn));

                nint wn = (nint)w, cn = (nint)c;
                GemmWorkers.For(chunks, q =>
                    RunChunk((float*)apn, rows, k, (byte*)wn, wType, rowBytes, n, q * chunk, Math.Min(chunk, n - q * chunk),
                        (float*)cn + (long)r0 * n, path, mr, nr));
            }
        }
        finally
        {
            BufferPool.Return(shared);
        }
    }

    private static (int Mr, int Nr) TileOf(GemmPath path) => path switch
    {
        GemmPath.Vector512 => (MicroKernel512.Mr, MicroKernel512.Nr),
        GemmPath.Vector256 => (MicroKernel256.Mr, MicroKernel256.Nr),
        _ => (MicroKernelScalar.Mr, MicroKernelScalar.Nr),
    };

    // One worker's share: C[0..rows, j0..j0+cols] for the already packed A block.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunChunk(float* ap, int rows, int k, byte* w, WeightType wType, long rowBytes, int n,
        int j0, int cols, float* c, GemmPath path, int mr, int nr)
    {
        int colsPadded = PackA.RoundUp(cols, nr);
        int kcMax = Math.Min(Kc, k);
        float* buffer = BufferPool.ThreadLocal.Get((long)kcMax * colsPadded + kcMax + mr * nr);
        float* bp = buffer;
        float* scratch = bp + (long)kcMax * colsPadded;
        float* tile = scratch + kcMax;
        int panels = (rows + mr - 1) / mr;

        for (int pc = 0; pc < k; pc += Kc)
        {
            int kc = Math.Min(Kc, k - pc);
            bool accumulate = pc > 0;
            PackB.Pack(w, wType, rowBytes, n, j0, cols, pc, kc, nr, path, bp, scratch);

            for (int panel = 0; panel < panels; panel++)
            {
                float* apPanel = ap + PackA.Offset(rows, mr, pc, kc, panel);
                int i0 = panel * mr;
                int validRows = Math.Min(mr, rows - i0);
                for (int jr = 0; jr < cols; jr += nr)
                {
                    float* bpPanel = bp + (long)jr * kc;
                    int validCols = Math.Min(nr, cols - jr);
                    float* cTile = c + (long)i0 * n + j0 + jr;
                    if (validRows == mr && validCols == nr)
                    {
                        Kernel(path, kc, apPanel, bpPanel, cTile, n, accumulate);
                    }
                    else
                    {
                        // Edge tile: compute the full register tile aside, then keep the valid part.
                        Kernel(path, kc, apPanel, bpPanel, tile, nr, accumulate: false);
                        for (int r = 0; r < validRows; r++)
                        {
                            for (int j = 0; j < validCols; j++)
                            {
                                float v = tile[r * nr + j];
                                cTile[(long)r * n + j] = accumulate ? cTile[(long)r * n + j] + v : v;
                            }
                        }
                    }
                }
            }
        }
    }

    private static void Kernel(GemmPath path, int kc, float* ap, float* bp, float* c, long ldc, bool accumulate)
    {
        switch (path)
        {
            case GemmPath.Vector512:
                MicroKernel512.Run(kc, ap, bp, c, ldc, accumulate);
                break;
            case GemmPath.Vector256:
                MicroKernel256.Run(kc, ap, bp, c, ldc, accumulate);
                break;
            default:
                MicroKernelScalar.Run(kc, ap, bp, c, ldc, accumulate);
                break;
        }
    }
}
