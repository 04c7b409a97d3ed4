using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PromptCache.Cuda.Interop;

/// <summary>
/// Turns status codes into exceptions. Wrap every binding call: <c>CudaCheck.Driver(CuDriver.cuInit(0))</c>;
/// the call's own text (captured by the compiler) names the function in the message.
/// </summary>
internal static class CudaCheck
{
    /// <summary>The <see cref="CudaException.Library"/> of driver API failures.</summary>
    public const string DriverLibrary = "CUDA driver";

    /// <summary>Throws when a driver API call did not return CUDA_SUCCESS.</summary>
    public static void Driver(int result, [CallerArgumentExpression(nameof(result))] string? call = null)
    {
        if (result != 0) throw new CudaException(DriverLibrary, CudaErrorText.CallName(call), result, DriverErrorName(result), DriverErrorString(result));
    }

    /// <summary>Throws when a cuBLAS call did not return CUBLAS_STATUS_SUCCESS.</summary>
    public static void Blas(int status, [CallerArgumentExpression(nameof(status))] string? call = null)
    {
        if (status != 0) throw new CudaException("cuBLAS", CudaErrorText.CallName(call), status, BlasStatusName(status));
    }

    /// <summary>Throws when an NVRTC call did not return NVRTC_SUCCESS; <paramref name="log"/> is the compiler log when there is one.</summary>
    public static void Rtc(int result, string? log = null, [CallerArgumentExpression(nameof(result))] string? call = null)
    {
        if (result != 0) throw new CudaException("NVRTC", CudaErrorText.CallName(call), result, RtcErrorName(result), log);
    }

    /// <summary>cuGetErrorName, or a numeric fallback when even that fails.</summary>
    public static string DriverErrorName(int result)
    {
        try
        {
            if (CuDriver.cuGetErrorName(result, out IntPtr p) == 0 && p != IntPtr.Zero) return Marshal.PtrToStringUTF8(p) ?? $"CUresult {result}";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
        return $"CUresult {result}";
    }

    private static string? DriverErrorString(int result)
    {
        try
        {
            if (CuDriver.cuGetErrorString(result, out IntPtr p) == 0 && p != IntPtr.Zero) return Marshal.PtrToStringUTF8(p);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
        return null;
    }

    private static string BlasStatusName(int status)
    {
        try
        {
            IntPtr p = Cublas.cublasGetStatusName(status);
            if (p != IntPtr.Zero) return Marshal.PtrToStringUTF8(p) ?? BlasFallbackName(status);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
        return BlasFallbackName(status);
    }

    /// <summary>cublasStatus_t names from cublas_api.h, for when the library cannot tell us.</summary>
    internal static string BlasFallbackName(int status) => status switch
    {
        0 => "CUBLAS_STATUS_SUCCESS",
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => $"cublasStatus {status}",
    };

    private static string RtcErrorName(int result)
    {
        try
        {
            IntPtr p = Nvrtc.nvrtcGetErrorString(result);
            if (p != IntPtr.Zero) return Marshal.PtrToStringUTF8(p) ?? $"nvrtcResult {result}";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
        return $"nvrtcResult {result}";
    }
}
