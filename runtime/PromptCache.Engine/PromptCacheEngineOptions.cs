using PromptCache.Runtime.Inference;
using PromptCache.Tokenizers.Chat;

namespace PromptCache.Engine;

/// <summary>What goes before a schema's first token.</summary>
public enum PreamblePolicy
{
    /// <summary>The chat format's begin text when the tokenizer has a chat format (none for ChatML; Llama 2 puts BOS in its role markers), else BOS when the tokenizer has one.</summary>
    Auto,

    /// <summary>Nothing: the schema starts at position 0.</summary>
    None,

    /// <summary>The tokenizer's BOS token.</summary>
    Bos,
}

/// <summary>Settings of a <see cref="PromptCacheEngine"/>.</summary>
public sealed record PromptCacheEngineOptions
{
    /// <summary>Element type of cached and session K/V.</summary>
    public KvDataType KvDataType { get; init; } = KvDataType.F32;

    /// <summary>Directory of the disk tier: module K/V survives restarts there. Null keeps module K/V in memory only.</summary>
    public string? DiskCacheDirectory { get; init; }

    /// <summary>Byte budget of the store's memory tier.</summary>
    public long MemoryBudgetBytes { get; init; } = 2L << 30;

    /// <summary>Byte budget of the disk tier.</summary>
    public long DiskBudgetBytes { get; init; } = 32L << 30;

    /// <summary>A tenant namespace: entries of different salts never share keys.</summary>
    public string? TenantSalt { get; init; }

    /// <summary>Names the chat format explicitly ("chatml", "llama2", "llama3", "mistral") instead of detecting it from the tokenizer's template.</summary>
    public string? ChatFormat { get; init; }

    /// <summary>Explicit role markers; win over <see cref="ChatFormat"/> and detection.</summary>
    public ChatMarkers? ChatMarkers { get; init; }

    /// <summary>What precedes the schema.</summary>
    public PreamblePolicy Preamble { get; init; } = PreamblePolicy.Auto;

    /// <summary>Cut an argument longer than its slot to the slot's length instead of rejecting the request.</summary>
    public bool TruncateLongArguments { get; init; }

    /// <summary>Forward passes that may run at once (each already uses every core on the CPU).</summary>
    public int MaxConcurrentForwards { get; init; } = 1;

    /// <summary>
    /// K/V segments of finished requests kept for the next ones (0: a new one per request). A request's
    /// segment holds its whole prompt; reusing it keeps its host pages (and on a GPU its device copy)
    /// resident instead of faulting in fresh ones every time. Each kept segment holds memory for the longest
    /// request it served.
    /// </summary>
    public int ReusedSessionSegments { get; init; } = 2;

    /// <summary>
    /// On a GPU backend, page-lock the host memory of warmed modules (AttentionStore's pinned host tier), so a
    /// module whose device copy was dropped (the device tier's budget, or a full GPU) is loaded back layer by
    /// layer while the forward computes, at the bus's rate, instead of synchronously from pageable memory. Costs
    /// time once per warmed module (~72 ms per GiB on the H100 machine) and keeps those pages in RAM; it is a
    /// no-op on the CPU. Default true.
    /// </summary>
    public bool PinModuleHostMemory { get; init; } = true;

    /// <summary>Overrides the model's identity in cache keys (default: a fingerprint of the model files).</summary>
    public string? ModelIdentity { get; init; }

    /// <summary>Overrides the tokenizer's identity in cache keys.</summary>
    public string? TokenizerIdentity { get; init; }

    /// <summary>
    /// The loaded tokenizer.json's <c>PmlContentHash</c> (what the generator records as <c>Tokens.TokenizerHash</c>),
    /// named in build-time layout mismatch errors. <see cref="PromptCacheEngine.Load(string, PromptCacheEngineOptions?, PromptCache.Runtime.Backends.IComputeBackend?)"/>
    /// fills it from the model folder when unset; null when there is no tokenizer.json (a GGUF-only model).
    /// </summary>
    public string? TokenizerHash { get; init; }

    /// <summary>Receives one-line log messages (warming, cache problems, binding notes). A host wires its logger here.</summary>
    public Action<string>? Log { get; init; }
}
