using PromptCache.Cuda.Interop;

namespace PromptCache.Cuda.Tests;

public sealed class ErrorTextTests
{
    [Theory]
    [InlineData("CuDriver.cuMemAlloc(out ulong p, (nuint)Math.Max(bytes, 1))", "cuMemAlloc")]
    [InlineData("Cublas.cublasGemmEx(_blas, Cublas.OpT)", "cublasGemmEx")]
    [InlineData("nvrtcCompileProgram", "nvrtcCompileProgram")]
    [InlineData("  Nvrtc.nvrtcVersion(out int major, out int minor) ", "nvrtcVersion")]
    [InlineData("", "(unknown call)")]
    [InlineData(null, "(unknown call)")]
    public void The_call_name_is_the_function_in_the_captured_expression(string? expression, string expected) =>
        Assert.Equal(expected, CudaErrorText.CallName(expression));

    [Fact]
    public void Messages_name_the_call_the_error_and_the_library()
    {
        var e = new CudaException("CUDA driver", "cuMemAlloc", 2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory");
        Assert.Equal("cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (2) in the CUDA driver: out of memory", e.Message);
        Assert.Equal("cuMemAlloc", e.Call);
        Assert.Equal(2, e.Code);
        Assert.Equal("cuBLAS", new CudaException("cuBLAS", "cublasCreate", 1, "CUBLAS_STATUS_NOT_INITIALIZED").Library);
        Assert.EndsWith("in the cuBLAS.", new CudaException("cuBLAS", "cublasCreate", 1, "CUBLAS_STATUS_NOT_INITIALIZED").Message);
    }

    [Fact]
    public void Failed_calls_throw_with_the_call_name_even_without_the_libraries()
    {
        // No GPU stack is needed: the error-name lookups fall back to numeric names when the library is absent.
        var e = Assert.Throws<CudaException>(() => CudaCheck.Blas(13, "Cublas.cublasGemmEx(handle, 1, 0)"));
        Assert.Equal("cublasGemmEx", e.Call);
        Assert.Contains("13", e.Message);
        CudaCheck.Blas(0);
    }

    [Theory]
    [InlineData(7, "CUBLAS_STATUS_INVALID_VALUE")]
    [InlineData(15, "CUBLAS_STATUS_NOT_SUPPORTED")]
    [InlineData(99, "cublasStatus 99")]
    public void Cublas_fallback_names_follow_the_header(int status, string name) =>
        Assert.Equal(name, CudaCheck.BlasFallbackName(status));
}
