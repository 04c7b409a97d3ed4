using System.CommandLine;
using PromptCache.Cli.Commands;

namespace PromptCache.Cli.Tests;

public sealed class BackendAndBenchCommandTests
{
    [Fact]
    public void An_unknown_backend_is_named()
    {
        var e = Assert.Throws<ArgumentException>(() => BackendOption.Open("tpu"));
        Assert.Contains("--backend 'tpu' is not a backend; use cpu or cuda", e.Message);
        Assert.Null(BackendOption.Open("cpu"));
    }

    [Fact]
    public void Cuda_without_a_device_is_refused_with_the_reason()
    {
        if (PromptCache.Cuda.Device.CudaDevice.IsAvailable(out _)) return; // The GPU path is covered by the CUDA tests.
        var e = Assert.Throws<ArgumentException>(() => BackendOption.Open("cuda"));
        Assert.StartsWith("--backend cuda:", e.Message);
    }

    [Fact]
    public void Cuda_settings_are_name_equals_value_pairs_applied_in_order()
    {
        var options = BackendOption.CudaOptions(["SkinnyGemm=Kernel", "CudaGraphs=false", "CudaGraphs=true", "KernelCacheDirectory=/tmp/a=b"]);
        Assert.Equal(PromptCache.Cuda.Backend.SkinnyGemmPath.Kernel, options.SkinnyGemm);
        Assert.True(options.CudaGraphs); // the later one wins
        Assert.Equal("/tmp/a=b", options.KernelCacheDirectory); // only the first '=' separates
    }

    [Theory]
    [InlineData("SkinnyGemm", "--cuda-option 'SkinnyGemm' is not NAME=VALUE")]
    [InlineData("=Kernel", "--cuda-option '=Kernel' is not NAME=VALUE")]
    [InlineData("Turbo=true", "--cuda-option: 'Turbo' is not a CUDA backend setting; they are: ")]
    [InlineData("CudaGraphs=yes", "--cuda-option: CudaGraphs: 'yes' is not true or false")]
    public void A_bad_cuda_setting_is_named(string setting, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => BackendOption.CudaOptions([setting])).Message);

    [Fact]
    public void Cuda_settings_need_the_cuda_backend()
    {
        var e = Assert.Throws<ArgumentException>(() => BackendOption.Open("cpu", ["CudaGraphs=false"]));
        Assert.Contains("--cuda-option 'CudaGraphs=false' needs --backend cuda", e.Message);
        var root = new RootCommand { BenchCommand.Create() };
        Assert.Equal(2, root.Parse(["bench", "ttft", "--shape", "tiny", "--tokens", "64", "--cuda-option", "Turbo=true", "--backend", "cuda"]).Invoke());
    }

    [Fact]
    public void Bench_ttft_rejects_an_unknown_shape_and_kv_type()
    {
        Assert.Contains("Unknown shape '70b'", Assert.Throws<ArgumentException>(() => BenchCommand.Shape("70b")).Message);
        Assert.Contains("Unknown K/V type 'q4'", Assert.Throws<ArgumentException>(() => BenchCommand.KvType("q4")).Message);
        var root = new RootCommand { BenchCommand.Create() };
        Assert.Equal(2, root.Parse(["bench", "ttft", "--shape", "70b"]).Invoke());
    }

    [Fact]
    public void Bench_ttft_rejects_a_negative_rehearsal_count_and_an_empty_suffix()
    {
        Assert.Contains("--rehearse must be 0 or more (got -1)", Assert.Throws<ArgumentException>(() => BenchCommand.Counts(-1, 32)).Message);
        Assert.Contains("--suffix must be at least 1 (got 0)", Assert.Throws<ArgumentException>(() => BenchCommand.Counts(0, 0)).Message);
        Assert.Equal((30, 100), BenchCommand.Counts(30, 100));
        var root = new RootCommand { BenchCommand.Create() };
        Assert.Equal(2, root.Parse(["bench", "ttft", "--shape", "tiny", "--tokens", "64", "--rehearse", "-1"]).Invoke());
        Assert.Equal(2, root.Parse(["bench", "ttft", "--shape", "tiny", "--tokens", "64", "--suffix", "0"]).Invoke());
    }

    [Fact]
    public void Bench_ttft_names_the_gpu_sized_shapes()
    {
        Assert.Equal((4096, 32, 32, 11008), (BenchCommand.Shape("7b").HiddenSize, BenchCommand.Shape("7b").LayerCount, BenchCommand.Shape("7b").KvHeadCount, BenchCommand.Shape("7b").FfnSize));
        Assert.Equal((4096, 32, 8, 14336), (BenchCommand.Shape("8b").HiddenSize, BenchCommand.Shape("8b").LayerCount, BenchCommand.Shape("8b").KvHeadCount, BenchCommand.Shape("8b").FfnSize));
    }
}
