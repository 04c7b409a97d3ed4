using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PromptCache.Hosting.Tests;

public sealed class OptionsValidationTests
{
    private static string Failures(Action<PromptCacheOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddPromptCache(o =>
        {
            TestHosts.Tiny(o);
            configure(o);
        });
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PromptCacheOptions>>().Value);
        return string.Join("\n", e.Failures);
    }

    [Fact]
    public void A_missing_model_path_is_named()
    {
        string message = Failures(o => o.Model = "/no/such/model.gguf");
        Assert.Contains("Model '/no/such/model.gguf' does not exist", message);
    }

    [Fact]
    public async Task Cuda_without_a_usable_device_fails_at_load_with_the_reason()
    {
        if (Cuda.Device.CudaDevice.IsAvailable(out _)) return; // On a GPU machine Cuda loads; the CUDA tests cover that path.
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPromptCache(o =>
        {
            TestHosts.Tiny(o);
            o.Backend = ComputeBackend.Cuda;
        });
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<HostedPromptCache>();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetEngineAsync());
        Assert.Contains("Backend = Cuda, but CUDA cannot be used on this machine", e.Message);
        Assert.Contains("Auto or Cpu", e.Message);
    }

    [Fact]
    public void Auto_without_a_device_runs_on_the_cpu_and_says_why()
    {
        if (Cuda.Device.CudaDevice.IsAvailable(out _)) return;
        var selection = BackendSelection.Choose(ComputeBackend.Auto);
        Assert.Null(selection.Backend);
        Assert.Equal("CPU", selection.Name);
        Assert.StartsWith("Auto: no usable CUDA device", selection.Reason);
    }

    [Fact]
    public void Every_problem_is_listed_with_its_value()
    {
        string message = Failures(o =>
        {
            o.MemoryBudgetBytes = 0;
            o.DiskBudgetBytes = -5;
            o.DeviceBudgetBytes = -1;
            o.MaxConcurrentForwards = 0;
            o.ReusedSessionSegments = -2;
            o.RehearsalRequests = -1;
            o.ChatFormat = "klingon";
        });
        Assert.Contains("MemoryBudgetBytes must be positive (got 0)", message);
        Assert.Contains("DiskBudgetBytes must be positive (got -5)", message);
        Assert.Contains("DeviceBudgetBytes must be 0 (no budget) or positive (got -1)", message);
        Assert.Contains("MaxConcurrentForwards must be at least 1 (got 0)", message);
        Assert.Contains("ReusedSessionSegments must be 0 (a new segment per request) or more (got -2)", message);
        Assert.Contains("RehearsalRequests must be 0 or more (got -1)", message);
        Assert.Contains("Unknown chat template family 'klingon'", message);
    }

    [Fact]
    public void A_bad_cuda_setting_is_named_at_start_up()
    {
        string message = Failures(o => o.CudaSettings["SkinnyVariant"] = "Rows48");
        Assert.Contains("PromptCache CudaSettings: SkinnyVariant: 'Rows48' is not one of Auto, Rows64, Rows32, Rows64Pipelined, Wgmma", message);
        Assert.Contains("'Turbo' is not a CUDA backend setting", Failures(o => o.CudaSettings["Turbo"] = "on"));
    }

    [Fact]
    public void Cuda_settings_come_from_configuration_and_a_budget_among_them_wins()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["PromptCache:CudaSettings:SkinnyGemm"] = "Kernel",
                ["PromptCache:CudaSettings:warpSpecializedShortQueries"] = "true",
            })
            .Build();
        var options = new PromptCacheOptions();
        configuration.GetSection("PromptCache").Bind(options);
        var cuda = BackendSelection.CudaOptions(1L << 30, options.CudaSettings);
        Assert.Equal(Cuda.Backend.SkinnyGemmPath.Kernel, cuda.SkinnyGemm);
        Assert.True(cuda.WarpSpecializedShortQueries);
        Assert.Equal(1L << 30, cuda.DeviceKvBudgetBytes);
        options.CudaSettings["DeviceKvBudgetBytes"] = "1024";
        Assert.Equal(1024, BackendSelection.CudaOptions(1L << 30, options.CudaSettings).DeviceKvBudgetBytes);
    }

    [Fact]
    public void A_disk_cache_that_is_a_file_is_refused()
    {
        string file = Path.GetTempFileName();
        try
        {
            Assert.Contains($"DiskCache '{file}' is a file", Failures(o => o.DiskCache = file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Valid_options_pass()
    {
        var result = new PromptCacheOptionsValidator().Validate(null, new PromptCacheOptions { ChatFormat = "chatml", DiskCache = TestHosts.TempDirectory() });
        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public async Task The_host_does_not_start_with_invalid_options()
    {
        using var host = TestHosts.Create(o => o.MaxConcurrentForwards = 0, b => b.WarmSchemas(TestHosts.TripSource));
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("MaxConcurrentForwards", e.Message);
        Assert.Equal(PromptCacheWarmupStatus.Pending, host.Services.GetRequiredService<PromptCacheReadiness>().Status);
    }
}
