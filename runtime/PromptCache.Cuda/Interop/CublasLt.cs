using System.Runtime.InteropServices;

namespace PromptCache.Cuda.Interop;

/// <summary>
/// cuBLASLt: the matmul API that exposes the algorithm list behind cuBLAS's heuristics, so skinny
/// GEMMs (a few dozen rows against a whole weight matrix) can be timed over several candidates
/// (split-K variants among them) instead of taking the first.
/// </summary>
internal static partial class CublasLt
{
    private const string Lib = CudaLibraryNames.CublasLt;

    /// <summary>cublasLtMatmulDescAttributes_t: CUBLASLT_MATMUL_DESC_TRANSA / TRANSB (int32 cublasOperation_t).</summary>
    public const int DescTransA = 3, DescTransB = 4;

    /// <summary>cublasLtMatmulPreferenceAttributes_t: CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES (uint64).</summary>
    public const int PrefMaxWorkspaceBytes = 1;

    /// <summary>
    /// sizeof(cublasLtMatmulHeuristicResult_t): cublasLtMatmulAlgo_t (8 × uint64), size_t workspaceSize,
    /// cublasStatus_t state, float wavesCount, int reserved[4].
    /// </summary>
    public const int HeuristicResultBytes = 96;

    /// <summary>Offsets inside one heuristic result.</summary>
    public const int HeuristicWorkspaceOffset = 64, HeuristicStateOffset = 72, HeuristicWavesOffset = 76;

    [LibraryImport(Lib)] public static partial int cublasLtCreate(out IntPtr handle);
    [LibraryImport(Lib)] public static partial int cublasLtDestroy(IntPtr handle);
    [LibraryImport(Lib)] public static partial int cublasLtMatmulDescCreate(out IntPtr desc, int computeType, int scaleType);
    [LibraryImport(Lib)] public static partial int cublasLtMatmulDescDestroy(IntPtr desc);
    [LibraryImport(Lib)] public static unsafe partial int cublasLtMatmulDescSetAttribute(IntPtr desc, int attribute, void* buffer, nuint bytes);
    [LibraryImport(Lib)] public static partial int cublasLtMatrixLayoutCreate(out IntPtr layout, int type, ulong rows, ulong cols, long ld);
    [LibraryImport(Lib)] public static partial int cublasLtMatrixLayoutDestroy(IntPtr layout);
    [LibraryImport(Lib)] public static partial int cublasLtMatmulPreferenceCreate(out IntPtr preference);
    [LibraryImport(Lib)] public static partial int cublasLtMatmulPreferenceDestroy(IntPtr preference);
    [LibraryImport(Lib)] public static unsafe partial int cublasLtMatmulPreferenceSetAttribute(IntPtr preference, int attribute, void* buffer, nuint bytes);

    [LibraryImport(Lib)]
    public static unsafe partial int cublasLtMatmulAlgoGetHeuristic(IntPtr handle, IntPtr desc, IntPtr a, IntPtr b, IntPtr c, IntPtr d,
        IntPtr preference, int requested, byte* results, out int returned);

    [LibraryImport(Lib)]
    public static unsafe partial int cublasLtMatmulAlgoCheck(IntPtr handle, IntPtr desc, IntPtr a, IntPtr b, IntPtr c, IntPtr d, byte* algo, byte* result);

    [LibraryImport(Lib)]
    public static unsafe partial int cublasLtMatmul(IntPtr handle, IntPtr desc, float* alpha, ulong a, IntPtr aLayout, ulong b, IntPtr bLayout,
        float* beta, ulong c, IntPtr cLayout, ulong d, IntPtr dLayout, byte* algo, ulong workspace, nuint workspaceBytes, IntPtr stream);
}
