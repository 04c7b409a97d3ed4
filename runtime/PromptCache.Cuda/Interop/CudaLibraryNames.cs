namespace PromptCache.Cuda.Interop;

/// <summary>
/// The logical library names the bindings import, and the file names each one is looked up under.
/// CUDA 12 and 13 ship the same C APIs under different sonames (<c>libcublas.so.12</c> vs
/// <c>.so.13</c>), so each logical name maps to an ordered list of candidates; the driver itself is
/// always <c>libcuda.so.1</c> (installed by the GPU driver, not the toolkit).
/// </summary>
internal static class CudaLibraryNames
{
    /// <summary>The driver API (libcuda).</summary>
    public const string Driver = "promptcache-cuda";

    /// <summary>cuBLAS.</summary>
    public const string Cublas = "promptcache-cublas";

    /// <summary>cuBLASLt (skinny-GEMM algorithm choice; optional: the backend falls back to cuBLAS without it).</summary>
    public const string CublasLt = "promptcache-cublaslt";

    /// <summary>NVRTC, the run-time CUDA C compiler.</summary>
    public const string Nvrtc = "promptcache-nvrtc";

    /// <summary>CUDA major versions whose toolkit libraries we accept, newest first.</summary>
    public static readonly int[] ToolkitMajors = [13, 12];

    /// <summary>
    /// The paths to try, in order, for <paramref name="logicalName"/> on this OS. Bare file names
    /// go through the loader's normal search (LD_LIBRARY_PATH, ldconfig); the extra
    /// <paramref name="searchDirectories"/> (e.g. <c>/usr/local/cuda/lib64</c>) come after them.
    /// </summary>
    public static IReadOnlyList<string> Candidates(string logicalName, bool windows, IReadOnlyList<string> searchDirectories)
    {
        var files = new List<string>();
        if (windows)
        {
            switch (logicalName)
            {
                case Driver: files.Add("nvcuda.dll"); break;
                case Cublas: foreach (int v in ToolkitMajors) files.Add($"cublas64_{v}.dll"); break;
                case CublasLt: foreach (int v in ToolkitMajors) files.Add($"cublasLt64_{v}.dll"); break;
                case Nvrtc: foreach (int v in ToolkitMajors) files.Add($"nvrtc64_{v}0_0.dll"); break;
                default: return [];
            }
        }
        else
        {
            string stem = logicalName switch
            {
                Driver => "libcuda.so",
                Cublas => "libcublas.so",
                CublasLt => "libcublasLt.so",
                Nvrtc => "libnvrtc.so",
                _ => "",
            };
            if (stem.Length == 0) return [];
            if (logicalName == Driver) files.Add(stem + ".1");
            else foreach (int v in ToolkitMajors) files.Add($"{stem}.{v}");
            files.Add(stem);
        }
        var result = new List<string>(files);
        foreach (string dir in searchDirectories)
            foreach (string file in files)
                result.Add(Path.Combine(dir, file));
        return result;
    }

    /// <summary>
    /// Folders searched after the loader's own: <c>$CUDA_PATH/lib64</c> (or <c>bin</c> on Windows),
    /// <c>/usr/local/cuda/lib64</c> and the WSL driver folder.
    /// </summary>
    public static IReadOnlyList<string> DefaultSearchDirectories(string? cudaPath, bool windows)
    {
        var dirs = new List<string>();
        if (!string.IsNullOrEmpty(cudaPath)) dirs.Add(Path.Combine(cudaPath, windows ? "bin" : "lib64"));
        if (!windows)
        {
            dirs.Add("/usr/local/cuda/lib64");
            dirs.Add("/usr/lib/wsl/lib");
        }
        return dirs;
    }
}
