using System.Runtime.InteropServices;
using PromptCache.Cuda.Interop;

namespace PromptCache.Cuda.Tests;

public sealed class LibraryNameTests
{
    [Fact]
    public void Linux_driver_is_libcuda_so_1_first_then_the_search_folders()
    {
        var c = CudaLibraryNames.Candidates(CudaLibraryNames.Driver, windows: false, ["/usr/local/cuda/lib64"]);
        Assert.Equal(["libcuda.so.1", "libcuda.so", "/usr/local/cuda/lib64/libcuda.so.1", "/usr/local/cuda/lib64/libcuda.so"], c);
    }

    [Fact]
    public void Linux_toolkit_libraries_prefer_cuda_13_then_12_then_the_unversioned_name()
    {
        var blas = CudaLibraryNames.Candidates(CudaLibraryNames.Cublas, windows: false, []);
        Assert.Equal(["libcublas.so.13", "libcublas.so.12", "libcublas.so"], blas);
        var rtc = CudaLibraryNames.Candidates(CudaLibraryNames.Nvrtc, windows: false, ["/opt/cuda/lib64"]);
        Assert.Equal("libnvrtc.so.13", rtc[0]);
        Assert.Contains("/opt/cuda/lib64/libnvrtc.so.12", rtc);
        Assert.Equal(6, rtc.Count);
    }

    [Fact]
    public void CublasLt_has_its_own_soname_and_dll_per_toolkit_major()
    {
        Assert.Equal(["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"], CudaLibraryNames.Candidates(CudaLibraryNames.CublasLt, windows: false, []));
        Assert.Equal(["cublasLt64_13.dll", "cublasLt64_12.dll"], CudaLibraryNames.Candidates(CudaLibraryNames.CublasLt, windows: true, []));
    }

    [Fact]
    public void CublasLt_heuristic_result_layout_matches_the_C_struct()
    {
        // cublasLtMatmulAlgo_t is uint64_t data[8]; then size_t workspaceSize, cublasStatus_t state,
        // float wavesCount, int reserved[4].
        Assert.Equal(64, CublasLt.HeuristicWorkspaceOffset);
        Assert.Equal(CublasLt.HeuristicWorkspaceOffset + sizeof(ulong), CublasLt.HeuristicStateOffset);
        Assert.Equal(CublasLt.HeuristicStateOffset + sizeof(int), CublasLt.HeuristicWavesOffset);
        Assert.Equal(CublasLt.HeuristicWavesOffset + sizeof(float) + 4 * sizeof(int), CublasLt.HeuristicResultBytes);
    }

    [Fact]
    public void The_launch_config_and_attribute_layouts_match_the_C_structs()
    {
        // CUlaunchConfig: seven unsigned ints (grid, block, shared bytes), CUstream at 8-byte alignment, CUlaunchAttribute*,
        // unsigned int numAttrs, padded to 8 bytes.
        Assert.Equal(32, (int)Marshal.OffsetOf<CuDriver.LaunchConfig>(nameof(CuDriver.LaunchConfig.Stream)));
        Assert.Equal(48, (int)Marshal.OffsetOf<CuDriver.LaunchConfig>(nameof(CuDriver.LaunchConfig.AttributeCount)));
        Assert.Equal(56, Marshal.SizeOf<CuDriver.LaunchConfig>());
        // CUlaunchAttribute: the id, 4 bytes of padding, a 64-byte value union.
        Assert.Equal(72, Marshal.SizeOf<CuDriver.LaunchAttribute>());
        Assert.Equal(8, (int)Marshal.OffsetOf<CuDriver.LaunchAttribute>(nameof(CuDriver.LaunchAttribute.Value)));
    }

    [Fact]
    public void Windows_names_follow_the_toolkit_dll_pattern()
    {
        Assert.Equal(["nvcuda.dll"], CudaLibraryNames.Candidates(CudaLibraryNames.Driver, windows: true, []));
        Assert.Equal(["cublas64_13.dll", "cublas64_12.dll"], CudaLibraryNames.Candidates(CudaLibraryNames.Cublas, windows: true, []));
        Assert.Equal(["nvrtc64_130_0.dll", "nvrtc64_120_0.dll"], CudaLibraryNames.Candidates(CudaLibraryNames.Nvrtc, windows: true, []));
    }

    [Fact]
    public void Unknown_logical_names_are_left_to_the_default_loader()
    {
        Assert.Empty(CudaLibraryNames.Candidates("libsomething", windows: false, ["/x"]));
    }

    [Fact]
    public void Search_folders_put_cuda_path_first()
    {
        Assert.Equal(["/opt/cuda/lib64", "/usr/local/cuda/lib64", "/usr/lib/wsl/lib"], CudaLibraryNames.DefaultSearchDirectories("/opt/cuda", windows: false));
        Assert.Equal(["/usr/local/cuda/lib64", "/usr/lib/wsl/lib"], CudaLibraryNames.DefaultSearchDirectories(null, windows: false));
        Assert.Equal([Path.Combine(@"C:\CUDA", "bin")], CudaLibraryNames.DefaultSearchDirectories(@"C:\CUDA", windows: true));
    }

    [Fact]
    public void A_missing_library_message_names_every_path_tried_and_what_to_install()
    {
        string message = CudaLibraryResolver.DescribeMissing(CudaLibraryNames.Cublas, "cuBLAS (libcublas)");
        Assert.Contains("cuBLAS (libcublas) could not be loaded", message);
        Assert.Contains("libcublas.so.13", message);
        Assert.Contains("libcublas.so.12", message);
        Assert.Contains("LD_LIBRARY_PATH", message);
    }
}
