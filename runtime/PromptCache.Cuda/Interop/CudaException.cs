namespace PromptCache.Cuda.Interop;

/// <summary>A CUDA, cuBLAS or NVRTC call failed. The message names the call and the library's error name.</summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CudaException(string library, string call, int code, string errorName, string? detail = null)
        : base(CudaErrorText.Format(library, call, code, errorName, detail))
    {
        Library = library;
        Call = call;
        Code = code;
        ErrorName = errorName;
    }

    /// <summary>"CUDA driver", "cuBLAS" or "NVRTC".</summary>
    public string Library { get; }

    /// <summary>The function that failed, e.g. <c>cuMemAlloc</c>.</summary>
    public string Call { get; }

    /// <summary>The raw status code.</summary>
    public int Code { get; }

    /// <summary>The library's name for the code, e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</summary>
    public string ErrorName { get; }
}

/// <summary>No usable CUDA installation or device: the driver or a toolkit library is missing, or no GPU answers.</summary>
public sealed class CudaUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CudaUnavailableException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>Builds the messages of <see cref="CudaException"/>; pure so it can be tested without a GPU.</summary>
internal static class CudaErrorText
{
    /// <summary>"cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (2) in the CUDA driver: out of memory".</summary>
    public static string Format(string library, string call, int code, string errorName, string? detail) =>
        $"{call} failed: {errorName} ({code}) in the {library}" + (string.IsNullOrWhiteSpace(detail) ? "." : $": {detail.Trim()}");

    /// <summary>
    /// The function name inside a call expression as the compiler captured it:
    /// <c>CuDriver.cuMemAlloc(out p, n)</c> gives <c>cuMemAlloc</c>.
    /// </summary>
    public static string CallName(string? expression)
    {
        if (string.IsNullOrWhiteSpace(expression)) return "(unknown call)";
        string e = expression.Trim();
        int paren = e.IndexOf('(');
        if (paren >= 0) e = e[..paren];
        int dot = e.LastIndexOf('.');
        if (dot >= 0) e = e[(dot + 1)..];
        return e.Trim();
    }
}
