using PromptCache.Engine;
using PromptCache.Engine.Synthetic;
using PromptCache.Runtime.Inference;

namespace PromptCache.Hosting;

/// <summary>
/// Settings of <c>services.AddPromptCache(options => ...)</c>: which model, where it runs, the cache
/// tiers and how start-up warming behaves. Validated when the host starts (see
/// <see cref="PromptCacheOptionsValidator"/>).
/// </summary>
public sealed class PromptCacheOptions
{
    /// <summary>
    /// A Hugging Face model folder (config.json, *.safetensors, tokenizer.json) or a .gguf file. Null
    /// uses the embedded default: a deterministic synthetic checkpoint of <see cref="SyntheticShape"/>
    /// with random weights, which needs no download but generates meaningless text.
    /// </summary>
    public string? Model { get; set; }

    /// <summary>The shape of the embedded synthetic model used when <see cref="Model"/> is null.</summary>
    public SyntheticShape SyntheticShape { get; set; } = SyntheticShape.Llama42M;

    /// <summary>Seed of the embedded synthetic model's weights.</summary>
    public int SyntheticSeed { get; set; } = 1234;

    /// <summary>Where forward passes run.</summary>
    public ComputeBackend Backend { get; set; } = ComputeBackend.Auto;

    /// <summary>Directory of the disk tier: module K/V survives restarts there. Null keeps it in memory only.</summary>
    public string? DiskCache { get; set; }

    /// <summary>Byte budget of the store's memory tier (default 2 GiB).</summary>
    public long MemoryBudgetBytes { get; set; } = 2L << 30;

    /// <summary>Byte budget of the disk tier (default 32 GiB).</summary>
    public long DiskBudgetBytes { get; set; } = 32L << 30;

    /// <summary>
    /// Byte budget of the device tier when the CUDA backend runs: K/V copies in GPU memory beyond it are
    /// dropped least recently used first (the store keeps their host bytes). 0 (default): no budget of its
    /// own; idle copies still go when the GPU runs out of memory.
    /// </summary>
    public long DeviceBudgetBytes { get; set; }

    /// <summary>
    /// Settings of the CUDA backend when it runs, by <c>CudaBackendOptions</c> property name (any case) and value as text,
    /// e.g. <c>"PromptCache": { "CudaSettings": { "SkinnyGemm": "Kernel", "CudaGraphs": "true" } }</c> in appsettings.json:
    /// the opt-in and experimental paths, and switches for the default ones. Checked at start-up; a
    /// <c>DeviceKvBudgetBytes</c> given here takes precedence over <see cref="DeviceBudgetBytes"/>.
    /// </summary>
    public Dictionary<string, string> CudaSettings { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A tenant namespace: entries of different salts never share cache keys.</summary>
    public string? TenantSalt { get; set; }

    /// <summary>Names the chat format role tags map to ("chatml", "llama2", "llama3", "mistral") instead of detecting it from the tokenizer.</summary>
    public string? ChatFormat { get; set; }

    /// <summary>Element type of cached K/V.</summary>
    public KvDataType KvDataType { get; set; } = KvDataType.F32;

    /// <summary>Forward passes that may run at once (on the CPU each pass already uses every core).</summary>
    public int MaxConcurrentForwards { get; set; } = 1;

    /// <summary>K/V segments of finished requests kept for the next ones (0: a new one per request); see <see cref="PromptCacheEngineOptions.ReusedSessionSegments"/>.</summary>
    public int ReusedSessionSegments { get; set; } = 2;

    /// <summary>Cut an argument longer than its slot instead of rejecting the request.</summary>
    public bool TruncateLongArguments { get; set; }

    /// <summary>On the CUDA backend, page-lock warmed modules' host memory; see <see cref="PromptCacheEngineOptions.PinModuleHostMemory"/>.</summary>
    public bool PinModuleHostMemory { get; set; } = true;

    /// <summary>What precedes each schema's first token.</summary>
    public PreamblePolicy Preamble { get; set; } = PreamblePolicy.Auto;

    /// <summary>
    /// False (default): the host starts serving at once and warming runs in the background; the
    /// "promptcache" health check (tag "ready") reports unhealthy until it ends, so a readiness probe
    /// keeps traffic away meanwhile, and liveness is not delayed by a long warm-up. True: the host's
    /// start-up waits for warming, and a warming failure stops the host from starting.
    /// </summary>
    public bool BlockStartupUntilWarm { get; set; }

    /// <summary>
    /// Throwaway calls of each warmed schema's default request, run after warming and before the readiness check
    /// turns healthy (<see cref="PromptCacheEngine.RehearseAsync"/>). A process's first calls otherwise run the
    /// JIT's unoptimised code and build the backend's per-shape state: on an H100 with a 7B-shaped model, 30 of them
    /// (1.5 s) took the first real cached call from 11.9 to 8.3 ms and the median of the next 30 from 7.9 to 7.4 ms.
    /// 0 (default) runs none. They are not counted in the request metrics.
    /// </summary>
    public int RehearsalRequests { get; set; }

    /// <summary>The engine settings these options stand for; <paramref name="log"/> receives the engine's log lines.</summary>
    internal PromptCacheEngineOptions ToEngineOptions(Action<string> log) => new()
    {
        DiskCacheDirectory = string.IsNullOrWhiteSpace(DiskCache) ? null : DiskCache,
        MemoryBudgetBytes = MemoryBudgetBytes,
        DiskBudgetBytes = DiskBudgetBytes,
        TenantSalt = TenantSalt,
        ChatFormat = ChatFormat,
        KvDataType = KvDataType,
        MaxConcurrentForwards = MaxConcurrentForwards,
        ReusedSessionSegments = ReusedSessionSegments,
        TruncateLongArguments = TruncateLongArguments,
        PinModuleHostMemory = PinModuleHostMemory,
        Preamble = Preamble,
        Log = log,
    };

    /// <summary>How the model is named in logs and chat metadata.</summary>
    internal string ModelDescription => Model ?? $"embedded synthetic model '{SyntheticShape.Name}' (random weights: its text is meaningless)";
}
