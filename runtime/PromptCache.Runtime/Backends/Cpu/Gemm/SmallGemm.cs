using System.Runtime.Intrinsics.X86;
using System.Runtime.CompilerServices;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// The path for a few dozen rows of A (a cached suffix, a short prompt) on AVX-512. There, the
/// blocked GEMM's transposing W pack costs as much as the arithmetic it feeds (each W value is used
/// only m times). Instead, A is packed transposed once (it is small), workers take chunks of W
/// rows, convert each tile of W rows to f32 without transposing (f32 weights are used in place) and
/// run <see cref="SmallKernels512"/> over the full k.
/// </summary>
internal static unsafe class SmallGemm
{
    /// <summary>Largest m this path handles: four vectors of A rows.</summary>
    public const int MaxRows = 64;

    public static void Run(float* a, int m, int k, void* w, WeightType wType, int n, float* c)
    {
        int vectors = (m + 15) / 16;
        int mPad = vectors * 16;
        int nj = TileWidth(vectors);
        long rowBytes = WeightLayout.RowBytes(wType, k);

        ScratchBuffer shared = BufferPool.Rent();
        try
        {
            float* ap = shared.Get((long)mPad * k);
            PackTransposed(a, m, k, mPad, ap);

            // Enough tasks for two per worker at least, each a whole number of tiles.
            int workers = Environment.ProcessorCount;
            int rowsPerTask = Math.Clamp((n + 4 * workers - 1) / (4 * workers) / nj * nj, nj, 16 * nj);
            int tasks = (n + rowsPerTask - 1) / rowsPerTask;
            nint apn = (nint)ap, wn = (nint)w, cn = (nint)c;
            GemmWorkers.For(tasks, t =>
                RunRows((float*)apn, m, mPad, k, (byte*)wn, wType, rowBytes, n, (float*)cn,
                    t * rowsPerTask, Math.Min(n, (t + 1) * rowsPerTask), nj));
        }
        finally
        {
            BufferPool.Return(shared);
        }
    }

    private static int TileWidth(int vectors) => vectors switch
    {
        1 => 12,
        2 => 12,
        3 => 8,
        _ => 6,
    };

    // ap[p·mPad + i] = A[i, p], zero for i ≥ m.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTransposed(float* a, int m, int k, int mPad, float* ap)
    {
        for (int i = 0; i < mPad; i++)
        {
            float* src = a + (long)i * k;
            if (i < m)
            {
                for (int p = 0; p < k; p++)
                {
                    ap[(long)p * mPad + i] = src[p];
                }
            }
            else
            {
                for (int p = 0; p < k; p++)
                {
                    ap[(long)p * mPad + i] = 0f;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunRows(float* ap, int m, int mPad, int k, byte* w, WeightType wType, long rowBytes, int n,
        float* c, int j0, int j1, int nj)
    {
        // One tile of W rows converted to f32, and the tile's Cᵀ block.
        float* buffer = BufferPool.ThreadLocal.Get((long)nj * k + (long)nj * mPad);
        float* tile = buffer + (long)nj * k;
        for (int j = j0; j < j1; j += nj)
        {
            int rows = Math.Min(nj, j1 - j);
            float* wt;
            long ldw;
            if (wType == WeightType.F32 && rows == nj)
            {
                wt = (float*)(w + j * rowBytes);
                ldw = k;
            }
            else
            {
                // Converted rows; a short last tile is padded with copies of its first row (any
                // finite values do, their results are dropped).
                for (int r = 0; r < nj; r++)
                {
                    WeightDecoder.Decode(w + (j + (r < rows ? r : 0)) * rowBytes,
                        wType, 0, k, buffer + (long)r * k, GemmPath.Vector512);
                }

                wt = buffer;
                ldw = k;
            }

            // The next tile's stored rows are requested into L2 now, so that converting them does not wait
            // on memory after this tile's arithmetic: the conversion is a pass of its own, where f32 rows,
            // used in place, stream while the kernel multiplies. (m = 48, 1.1B shapes, interleaved A/B on
            // the noisy machine: f16/bf16 66–72 % → 72–80 % of the FMA ceiling per CPU time.)
            if (wType != WeightType.F32 && j + nj < j1)
            {
                int next = Math.Min(nj, j1 - j - nj);
                for (int r = 0; r < next; r++)
                {
                    byte* line = w + (j + nj + r) * rowBytes;
                    for (long offset = 0; offset < rowBytes; offset += 64) Sse.Prefetch1(line + offset);
                }
            }

            switch (mPad / 16)
            {
                case 1: SmallKernels512.Tile1x12(ap, wt, ldw, k, tile); break;
                case 2: SmallKernels512.Tile2x12(ap, wt, ldw, k, tile); break;
                case 3: SmallKernels512.Tile3x8(ap, wt, ldw, k, tile); break;
                default: SmallKernels512.Tile4x6(ap, wt, ldw, k, tile); break;
            }

            for (int r = 0; r < rows; r++)
            {
                float* col = tile + (long)r * mPad;
                for (int i = 0; i < m; i++)
                {
                    c[(long)i * n + j + r] = col[i];
                }
            }
        }
    }
}
