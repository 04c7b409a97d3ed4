using PromptCache.Cuda.Backend;

namespace PromptCache.Cuda.Tests;

/// <summary><see cref="CudaBackendOptions"/> from text settings (the tool's --cuda-option, a host's PromptCache:CudaSettings).</summary>
public sealed class CudaBackendSettingsTests
{
    private static CudaBackendOptions Parse(params (string Name, string Value)[] settings) =>
        CudaBackendSettings.Parse(settings.Select(s => new KeyValuePair<string, string>(s.Name, s.Value)));

    [Fact]
    public void Settings_set_options_by_name_in_any_case_over_the_defaults()
    {
        var options = Parse(("SkinnyGemm", "Kernel"), ("skinnyvariant", "wgmma"), ("WarpSpecializedShortQueries", "TRUE"), ("CudaGraphs", "false"),
            ("SkinnySplits", "3"), ("DeviceKvBudgetBytes", "1073741824"), ("KernelCacheDirectory", " /tmp/k "));
        Assert.Equal(SkinnyGemmPath.Kernel, options.SkinnyGemm);
        Assert.Equal(SkinnyKernelVariant.Wgmma, options.SkinnyVariant);
        Assert.True(options.WarpSpecializedShortQueries);
        Assert.False(options.CudaGraphs);
        Assert.Equal(3, options.SkinnySplits);
        Assert.Equal(1L << 30, options.DeviceKvBudgetBytes);
        Assert.Equal("/tmp/k", options.KernelCacheDirectory);
        // Everything not named keeps its default.
        var defaults = new CudaBackendOptions();
        Assert.Equal(defaults.FusedSwiGluGemm, options.FusedSwiGluGemm);
        Assert.Equal(defaults.SkinnyGemmMaxRows, options.SkinnyGemmMaxRows);
        Assert.Null(Parse(("KernelCacheDirectory", "")).KernelCacheDirectory);
        // The default skinny path can be asked for by name too (over an explicit one, as a host's later source would).
        Assert.Equal(SkinnyGemmPath.Auto, Parse(("SkinnyGemm", "Kernel"), ("SkinnyGemm", "auto")).SkinnyGemm);
    }

    [Fact]
    public void Every_option_can_be_set_from_text()
    {
        // A property added later with a type the parser cannot read would fail here, not in a user's configuration.
        Assert.Equal(typeof(CudaBackendOptions).GetProperties().Count(p => p.CanWrite), CudaBackendSettings.Names.Count);
        foreach (var property in typeof(CudaBackendOptions).GetProperties().Where(p => p.CanWrite))
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            string text = type == typeof(bool) ? "true" : type.IsEnum ? Enum.GetNames(type)[0] : type == typeof(string) ? "x" : "1";
            Parse((property.Name, text));
        }
    }

    [Theory]
    [InlineData("Turbo", "true", "'Turbo' is not a CUDA backend setting; they are: AsyncHostWriteBack, Attention, ")]
    [InlineData("CudaGraphs", "yes", "CudaGraphs: 'yes' is not true or false")]
    [InlineData("SkinnySplits", "two", "SkinnySplits: 'two' is not a whole number")]
    [InlineData("SkinnySplits", "3000000000", "SkinnySplits: '3000000000' is not a whole number")]
    [InlineData("SkinnyGemm", "Wgmma", "SkinnyGemm: 'Wgmma' is not one of CublasGemmEx, CublasLtTuned, Kernel, Auto")]
    [InlineData("SkinnyVariant", "Rows48", "SkinnyVariant: 'Rows48' is not one of Auto, Rows64, Rows32, Rows64Pipelined, Wgmma")]
    public void A_bad_setting_is_named_with_what_it_takes(string name, string value, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => Parse((name, value))).Message);
}
