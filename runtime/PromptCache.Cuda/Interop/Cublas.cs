using System.Runtime.InteropServices;

namespace PromptCache.Cuda.Interop;

/// <summary>
/// cuBLAS (the v2 API): one mixed-precision GEMM is all the model needs. bf16 operands with fp32
/// accumulation and fp32 output run on the tensor cores.
/// </summary>
internal static partial class Cublas
{
    private const string Lib = CudaLibraryNames.Cublas;

    /// <summary>cublasOperation_t.</summary>
    public const int OpN = 0, OpT = 1;

    /// <summary>cudaDataType_t values.</summary>
    public const int R32F = 0, R16F = 2, R16BF = 14;

    /// <summary>CUBLAS_COMPUTE_32F.</summary>
    public const int Compute32F = 68;

    /// <summary>CUBLAS_GEMM_DEFAULT: let the heuristics pick (tensor cores for bf16).</summary>
    public const int GemmDefault = -1;

    [LibraryImport(Lib, EntryPoint = "cublasCreate_v2")] public static partial int cublasCreate(out IntPtr handle);
    [LibraryImport(Lib, EntryPoint = "cublasDestroy_v2")] public static partial int cublasDestroy(IntPtr handle);
    [LibraryImport(Lib, EntryPoint = "cublasSetStream_v2")] public static partial int cublasSetStream(IntPtr handle, IntPtr stream);
    [LibraryImport(Lib, EntryPoint = "cublasGetVersion_v2")] public static partial int cublasGetVersion(IntPtr handle, out int version);
    [LibraryImport(Lib)] public static partial IntPtr cublasGetStatusName(int status);
    [LibraryImport(Lib)] public static partial int cublasSetWorkspace_v2(IntPtr handle, ulong workspace, nuint bytes);

    [LibraryImport(Lib)]
    public static unsafe partial int cublasGemmEx(IntPtr handle, int transa, int transb, int m, int n, int k,
        float* alpha, ulong a, int aType, int lda, ulong b, int bType, int ldb,
        float* beta, ulong c, int cType, int ldc, int computeType, int algo);
}
