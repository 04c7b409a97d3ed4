namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// The CPU matrix multiply every linear layer goes through: <c>C = A · Wᵀ</c> with A holding
/// activations (f32) and W a weight matrix in PyTorch <c>[out_features, in_features]</c> layout,
/// kept in its stored dtype. Multi-threaded over all cores; safe to call concurrently.
/// </summary>
public static unsafe class CpuGemm
{
    /// <summary>
    /// Up to this many rows of A, streaming W once (GEMV) beats packing it: the call is bound by
    /// reading W, not by arithmetic. Measured; see README.md.
    /// </summary>
    internal const int GemvMaxRows = Gemv.MaxRows;

    /// <summary>
    /// Up to this many rows, the untransposed dot-product tiles (<see cref="SmallGemm"/>) beat the
    /// packed GEMM, whose W packing is not amortised over enough rows. Measured; see README.md.
    /// </summary>
    internal static int SmallMaxRows = SmallGemm.MaxRows;

    /// <summary>
    /// Computes <c>C[m×n] = A[m×k] · W[n×k]ᵀ</c>, all row-major and densely packed.
    /// </summary>
    /// <param name="a">Activations, <paramref name="m"/> rows of <paramref name="k"/> floats.</param>
    /// <param name="m">Rows of A and C (tokens). 1 is the decode case.</param>
    /// <param name="k">Inner dimension (in_features).</param>
    /// <param name="w">Weights, <paramref name="n"/> rows of <paramref name="k"/> values of
    /// <paramref name="wType"/>; read only (it may be a read-only memory map).</param>
    /// <param name="wType">Storage type of <paramref name="w"/>. Q8_0 needs k to be a multiple of 32.</param>
    /// <param name="n">Rows of W and columns of C (out_features).</param>
    /// <param name="c">Output, <paramref name="m"/> rows of <paramref name="n"/> floats; overwritten.</param>
    public static void MatMulTransposed(float* a, int m, int k, void* w, WeightType wType, int n, float* c) =>
        MatMulTransposed(a, m, k, w, wType, n, c, GemmPath.Auto);

    /// <summary>The same, on an explicitly chosen instruction-set path (tests use this).</summary>
    internal static void MatMulTransposed(float* a, int m, int k, void* w, WeightType wType, int n, float* c, GemmPath path)
    {
        Validate(a, m, k, w, wType, n, c);
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            for (int i = 0; i < m; i++)
            {
                new Span<float>(c + (long)i * n, n).Clear();
            }

            return;
        }

        GemmPath resolved = GemmPaths.Resolve(path);
        if (m <= GemvMaxRows)
        {
            Gemv.Run(a, m, k, w, wType, n, c, resolved);
        }
        else if (m <= Math.Min(SmallMaxRows, SmallGemm.MaxRows) && resolved == GemmPath.Vector512)
        {
            SmallGemm.Run(a, m, k, w, wType, n, c);
        }
        else
        {
            BlockedGemm.Run(a, m, k, w, wType, n, c, resolved);
        }
    }

    private static void Validate(float* a, int m, int k, void* w, WeightType wType, int n, float* c)
    {
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), m, "CpuGemm: m (rows of A) must be non-negative.");
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, "CpuGemm: k (inner dimension) must be non-negative.");
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "CpuGemm: n (rows of W) must be non-negative.");
        if (!Enum.IsDefined(wType)) throw new ArgumentOutOfRangeException(nameof(wType), wType, "CpuGemm: unknown weight type.");
        if (wType == WeightType.Q8_0 && k % WeightLayout.Q8BlockValues != 0)
        {
            throw new ArgumentException($"CpuGemm: Q8_0 weights need k to be a multiple of 32, got k = {k}.", nameof(k));
        }

        if (m > 0 && k > 0 && a == null) throw new ArgumentNullException(nameof(a), "CpuGemm: A is null.");
        if (n > 0 && k > 0 && w == null) throw new ArgumentNullException(nameof(w), "CpuGemm: W is null.");
        if (m > 0 && n > 0 && c == null) throw new ArgumentNullException(nameof(c), "CpuGemm: C is null.");
    }
}
