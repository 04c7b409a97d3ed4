using System.Reflection;
using PromptCache.Cuda.Backend;

namespace PromptCache.Cuda.Tests;

/// <summary>
/// <see cref="CudaBackendOptions.Unfused"/> is the reference path every fast path is checked against (bench checks, GPU
/// tests): an option added on by default and forgotten there would be on in both arms of its own check.
/// </summary>
public sealed class CudaBackendOptionsTests
{
    // On by default and in Unfused alike: the host write-back is where K/V go, not a fast path (Unfused takes them as arguments).
    private static readonly string[] NotFastPaths = [nameof(CudaBackendOptions.KvHostWriteBack), nameof(CudaBackendOptions.AsyncHostWriteBack)];

    [Fact]
    public void Unfused_turns_off_every_fast_path_that_is_on_by_default()
    {
        var defaults = new CudaBackendOptions();
        var unfused = CudaBackendOptions.Unfused();
        var fastPaths = typeof(CudaBackendOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType == typeof(bool) && (bool)p.GetValue(defaults)! && !NotFastPaths.Contains(p.Name))
            .ToArray();
        Assert.Contains(fastPaths, p => p.Name == nameof(CudaBackendOptions.WideKeySteps));
        var stillOn = fastPaths.Where(p => (bool)p.GetValue(unfused)!).Select(p => p.Name).ToArray();
        Assert.True(stillOn.Length == 0, $"on in Unfused(): {string.Join(", ", stillOn)}");
    }

    [Fact]
    public void Unfused_keeps_the_write_back_it_is_given()
    {
        Assert.True(CudaBackendOptions.Unfused().KvHostWriteBack);
        Assert.False(CudaBackendOptions.Unfused(kvHostWriteBack: false).KvHostWriteBack);
        Assert.False(CudaBackendOptions.Unfused(asyncHostWriteBack: false).AsyncHostWriteBack);
    }
}
