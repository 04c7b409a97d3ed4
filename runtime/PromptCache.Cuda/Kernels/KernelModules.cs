using System.Collections.Concurrent;
using PromptCache.Cuda.Device;
using PromptCache.Cuda.Interop;

namespace PromptCache.Cuda.Kernels;

/// <summary>
/// Compiles (or loads from the disk cache) and keeps the kernel modules of one device: the
/// transformer kernels once, the attention kernels once per head dimension.
/// </summary>
internal sealed class KernelModules : IDisposable
{
    private readonly CudaDevice _device;
    private readonly KernelCache _cache;
    private readonly ConcurrentDictionary<string, CudaModule> _modules = new();
    private readonly ConcurrentDictionary<(string Module, string Kernel), IntPtr> _functions = new();
    private string? _compilerVersion;

    public KernelModules(CudaDevice device, KernelCache cache)
    {
        _device = device;
        _cache = cache;
    }

    /// <summary>Seconds spent compiling with NVRTC so far (cache misses only).</summary>
    public double CompileSeconds { get; private set; }

    /// <summary>A kernel of the transformer unit.</summary>
    public IntPtr Transformer(string kernel) => Function(KernelSource.Transformer, NvrtcOptions.None, kernel);

    /// <summary>A kernel of the skinny-GEMM unit (skinny_gemm.cu).</summary>
    public IntPtr SkinnyGemm(string kernel) => Function(KernelSource.SkinnyGemm, NvrtcOptions.None, kernel);

    /// <summary>A kernel of the fused add + RMSNorm unit (fused_norm.cu).</summary>
    public IntPtr FusedNorm(string kernel) => Function(KernelSource.FusedNorm, NvrtcOptions.None, kernel);

    /// <summary>A kernel of the group-split unit (group_split.cu).</summary>
    public IntPtr GroupSplit(string kernel) => Function(KernelSource.GroupSplit, NvrtcOptions.None, kernel);

    /// <summary>A kernel of the attention unit compiled for <paramref name="headDim"/>.</summary>
    public IntPtr Attention(int headDim, string kernel) =>
        Function(KernelSource.Attention, NvrtcOptions.Define("HEAD_DIM", headDim), kernel);

    /// <summary>A kernel of the pipelined attention unit (attention.cu then attention_pipelined.cu) for <paramref name="headDim"/>.</summary>
    public IntPtr AttentionPipelined(int headDim, string kernel) =>
        Function([KernelSource.Attention, KernelSource.AttentionPipelined], NvrtcOptions.Define("HEAD_DIM", headDim), kernel);

    /// <summary>
    /// A kernel of the wgmma attention unit (attention.cu, attention_pipelined.cu, attention_wgmma.cu)
    /// for <paramref name="headDim"/>, compiled for the architecture-specific target (sm_90a).
    /// </summary>
    public IntPtr AttentionWgmma(int headDim, string kernel) =>
        Function([KernelSource.Attention, KernelSource.AttentionPipelined, KernelSource.AttentionWgmma],
            new Dictionary<string, string> { ["HEAD_DIM"] = headDim.ToString(System.Globalization.CultureInfo.InvariantCulture), ["WGMMA_ATTENTION"] = "1" },
            kernel, archSpecific: true);

    /// <summary>A kernel of the Hopper GEMM unit (gemm_wgmma.cu), compiled for the architecture-specific target (sm_90a).</summary>
    public IntPtr GemmWgmma(string kernel) =>
        Function([KernelSource.GemmWgmma], new Dictionary<string, string> { ["WGMMA_GEMM"] = "1" }, kernel, archSpecific: true);

    /// <summary>A kernel of the Hopper skinny-GEMM unit (skinny_wgmma.cu), compiled for the architecture-specific target (sm_90a).</summary>
    public IntPtr SkinnyWgmma(string kernel) =>
        Function([KernelSource.SkinnyWgmma], new Dictionary<string, string> { ["WGMMA_GEMM"] = "1" }, kernel, archSpecific: true);

    private IntPtr Function(string file, IReadOnlyDictionary<string, string> defines, string kernel) => Function([file], defines, kernel);

    private IntPtr Function(string[] files, IReadOnlyDictionary<string, string> defines, string kernel, bool archSpecific = false)
    {
        string moduleKey = string.Join("+", files) + "|" + string.Join(",", defines.OrderBy(d => d.Key).Select(d => d.Key + "=" + d.Value)) + (archSpecific ? "|a" : "");
        return _functions.GetOrAdd((moduleKey, kernel), k => Module(k.Module, files, defines, archSpecific).Function(k.Kernel));
    }

    private CudaModule Module(string moduleKey, string[] files, IReadOnlyDictionary<string, string> defines, bool archSpecific)
    {
        string file = files[^1];
        lock (_modules)
        {
            if (_modules.TryGetValue(moduleKey, out var existing)) return existing;
            _device.MakeCurrent();
            string source = KernelSource.Unit(files);
            _compilerVersion ??= NvrtcCompiler.Version();
            var options = new NvrtcOptions(_device.ComputeCapability, defines, ArchSpecific: archSpecific);
            byte[] image = LoadOrCompile(source, file, options, out bool ptx);
            CudaModule module;
            try
            {
                module = CudaModule.Load(_device.Context, image);
            }
            catch (CudaException) when (!ptx)
            {
                // A cubin the driver rejects (e.g. from a newer NVRTC than the driver): retry as PTX.
                image = LoadOrCompile(source, file, options with { EmitPtx = true }, out _);
                module = CudaModule.Load(_device.Context, image);
            }
            _modules[moduleKey] = module;
            return module;
        }
    }

    private byte[] LoadOrCompile(string source, string file, NvrtcOptions options, out bool ptx)
    {
        ptx = options.EmitPtx;
        string key = KernelCache.Key(source, options.Arguments(), _compilerVersion!);
        byte[]? cached = _cache.TryRead(key, ptx);
        if (cached is not null) return cached;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        byte[] image;
        try
        {
            image = NvrtcCompiler.Compile(source, file, options);
        }
        catch (CudaException e) when (!options.EmitPtx && e.Message.Contains("gpu-architecture", StringComparison.Ordinal))
        {
            // This NVRTC does not know the real architecture: emit PTX for the driver to JIT.
            ptx = true;
            options = options with { EmitPtx = true };
            key = KernelCache.Key(source, options.Arguments(), _compilerVersion!);
            image = NvrtcCompiler.Compile(source, file, options);
        }
        CompileSeconds += watch.Elapsed.TotalSeconds;
        _cache.TryWrite(key, ptx, image);
        return image;
    }

    public void Dispose()
    {
        foreach (var m in _modules.Values) m.Dispose();
        _modules.Clear();
        _functions.Clear();
    }
}
