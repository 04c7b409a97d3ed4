using System.Collections.Concurrent;
using PromptCache.Engine.Binding;
using PromptCache.Engine.Caching;
using PromptCache.Engine.Diagnostics;
using PromptCache.Engine.Execution;
using PromptCache.Engine.Synthetic;
using PromptCache.Pml;
using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Caching.Keys;
using PromptCache.Runtime.Caching.Store;
using PromptCache.Runtime.Inference;
using PromptCache.Tokenizers;
using PromptCache.Tokenizers.Chat;

namespace PromptCache.Engine;

/// <summary>
/// The Prompt Cache engine: binds PML schemas to a model's tokenizer, precomputes every cacheable
/// module's K/V at its fixed positions (loading it from the store when a previous run saved it), and
/// serves prompt calls by computing only arguments, uncached modules and the trailing text.
/// </summary>
/// <remarks>
/// Thread-safe. Module segments are immutable once warmed and shared by all calls; each call has its
/// own session segment. Forward passes run through a gate of
/// <see cref="PromptCacheEngineOptions.MaxConcurrentForwards"/> (one by default: on a CPU each pass
/// already uses every core).
/// </remarks>
public sealed partial class PromptCacheEngine : IPromptCache, IAsyncDisposable, IDisposable
{
    private readonly bool _ownsModel;
    private readonly SemaphoreSlim _forwardGate;
    private readonly ConcurrentDictionary<string, SchemaEntry> _schemas = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _warmGate = new(1, 1);
    private readonly EngineMetrics _metrics;
    private readonly ModuleKeys _keys;
    private readonly int[] _preamble;
    private readonly SessionSegments _sessions;

    /// <summary>
    /// Creates an engine over a loaded model and tokenizer. Every forward pass of the engine is
    /// position-causal (<see cref="ContextVisibility.BelowQueryPosition"/>), so arguments never attend
    /// to cached text after their slot, whatever the model's backend.
    /// </summary>
    /// <param name="model">The model; the engine disposes it only when <paramref name="ownsModel"/>.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="modelIdentity">Identifies the weights in cache keys (e.g. <see cref="KvModelIdentity.FromFiles"/>).</param>
    /// <param name="tokenizerIdentity">Identifies the tokenizer in cache keys.</param>
    /// <param name="options">Settings; null for defaults.</param>
    /// <param name="ownsModel">Dispose <paramref name="model"/> with the engine.</param>
    public PromptCacheEngine(LlamaModel model, Tokenizer tokenizer, string modelIdentity, string tokenizerIdentity,
        PromptCacheEngineOptions? options = null, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        Model = model;
        Tokenizer = tokenizer;
        Options = options ?? new PromptCacheEngineOptions();
        _ownsModel = ownsModel;
        ModelIdentity = Options.ModelIdentity ?? modelIdentity;
        TokenizerIdentity = Options.TokenizerIdentity ?? tokenizerIdentity;
        _forwardGate = new SemaphoreSlim(Math.Max(1, Options.MaxConcurrentForwards));
        _sessions = new SessionSegments(model, Math.Max(0, Options.ReusedSessionSegments));
        Markers = ResolveMarkers(tokenizer, Options, Log);
        _preamble = Preamble(tokenizer, Markers, Options.Preamble);
        _keys = new ModuleKeys(ModelIdentity, TokenizerIdentity, Options.KvDataType, Options.TenantSalt);
        Store = KvCacheStore.Open(new KvCacheStoreOptions
        {
            DiskDirectory = Options.DiskCacheDirectory,
            MemoryBudgetBytes = Options.MemoryBudgetBytes,
            DiskBudgetBytes = Options.DiskBudgetBytes,
            OnNotice = OnStoreNotice,
        });
        _metrics = new EngineMetrics(Store.GetCounters);
    }

    /// <summary>
    /// Loads a model (a Hugging Face folder or a .gguf file) with its own tokenizer. Cache keys use
    /// a fingerprint of the model and tokenizer files.
    /// </summary>
    /// <param name="modelPath">A Hugging Face model folder or a .gguf file.</param>
    /// <param name="options">Settings; null for defaults.</param>
    /// <param name="backend">Where forward passes run (default: the managed CPU backend). The caller
    /// owns it and disposes it after the engine.</param>
    public static PromptCacheEngine Load(string modelPath, PromptCacheEngineOptions? options = null, IComputeBackend? backend = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        var model = LlamaModel.Load(modelPath, backend);
        try
        {
            var tokenizer = Tokenizer.Load(modelPath);
            var (modelId, tokenizerId) = Identities(modelPath);
            options ??= new PromptCacheEngineOptions();
            if (options.TokenizerHash is null && TokenizerJson(modelPath) is { } json)
                options = options with { TokenizerHash = PmlContentHash.Compute(File.ReadAllText(json)) };
            return new PromptCacheEngine(model, tokenizer, modelId, tokenizerId, options, ownsModel: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The embedded default: a deterministic synthetic checkpoint of <paramref name="shape"/> (random
    /// weights, a real Llama shape), written once to the temp folder, with the in-code
    /// <see cref="ByteTokenizer"/>. Its text is meaningless; its cost is real.
    /// </summary>
    /// <param name="shape">The Llama shape to generate.</param>
    /// <param name="seed">Seed of the random weights.</param>
    /// <param name="options">Settings; null for defaults.</param>
    /// <param name="backend">Where forward passes run (default: the managed CPU backend); the caller owns it.</param>
    public static PromptCacheEngine CreateSynthetic(SyntheticShape shape, int seed = 1234, PromptCacheEngineOptions? options = null, IComputeBackend? backend = null)
    {
        string folder = SyntheticCheckpoint.Ensure(shape, seed);
        var model = LlamaModel.Load(folder, backend);
        return new PromptCacheEngine(model, new ByteTokenizer(), $"synthetic:{folder}:{KvModelIdentity.FromFiles(ModelFiles(folder))}",
            "byte-tokenizer/v1", options, ownsModel: true);
    }

    /// <summary>The model.</summary>
    public LlamaModel Model { get; }

    /// <summary>The model's tokenizer.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>Settings.</summary>
    public PromptCacheEngineOptions Options { get; }

    /// <summary>The chat format role tags map to, or null when the tokenizer has none (role tags then add no tokens).</summary>
    public RoleMarkerTokens? Markers { get; }

    /// <summary>The model's identity in cache keys.</summary>
    public string ModelIdentity { get; }

    /// <summary>The tokenizer's identity in cache keys.</summary>
    public string TokenizerIdentity { get; }

    /// <summary>The K/V store (memory tier and optional disk tier).</summary>
    public KvCacheStore Store { get; }

    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> the engine publishes on.</summary>
    public static string MeterName => EngineMetrics.MeterName;

    /// <summary>Schemas warmed so far, by name.</summary>
    public IReadOnlyCollection<string> SchemaNames => [.. _schemas.Keys];

    /// <summary>The bound schema <paramref name="schemaName"/>.</summary>
    /// <exception cref="PromptCacheException">It has not been warmed.</exception>
    public BoundSchema GetSchema(string schemaName) => Entry(schemaName).Schema;

    /// <summary>A snapshot of counters (engine and store).</summary>
    public EngineCounters GetCounters() => _metrics.Snapshot();

    private SchemaEntry Entry(string schemaName) =>
        _schemas.TryGetValue(schemaName, out var entry) ? entry
        : throw new PromptCacheException($"Schema '{schemaName}' is not warmed; call WarmAsync with it first. Warmed schemas: {(_schemas.IsEmpty ? "(none)" : string.Join(", ", _schemas.Keys.Order(StringComparer.Ordinal)))}.");

    private void Log(string message) => Options.Log?.Invoke(message);

    private void OnStoreNotice(KvCacheNotice notice)
    {
        if (notice.Kind == KvNoticeKind.CorruptFile) _metrics.CorruptFile();
        Log($"cache store: {notice.Kind}: {notice.Message}");
    }

    private static RoleMarkerTokens? ResolveMarkers(Tokenizer tokenizer, PromptCacheEngineOptions options, Action<string> log)
    {
        ChatMarkers? markers = options.ChatMarkers;
        if (markers is null && !string.IsNullOrWhiteSpace(options.ChatFormat)) markers = ChatMarkers.ForFamily(options.ChatFormat);
        if (markers is null && !ChatMarkers.TryDetect(tokenizer.ChatTemplate, out markers))
        {
            log(tokenizer.ChatTemplate is null
                ? "The tokenizer has no chat template: PML role tags (<system>, <user>, <assistant>) add no tokens. Set ChatFormat to map them."
                : "The tokenizer's chat template is not a known format: PML role tags add no tokens. Set ChatFormat or ChatMarkers to map them.");
            return null;
        }
        return new RoleMarkerTokens(markers!, tokenizer);
    }

    private static int[] Preamble(Tokenizer tokenizer, RoleMarkerTokens? markers, PreamblePolicy policy) => policy switch
    {
        PreamblePolicy.None => [],
        PreamblePolicy.Bos => tokenizer.BosId is int bos ? [bos] : throw new PromptCacheException("Preamble = Bos, but the tokenizer has no BOS token."),
        _ when markers is not null => markers.BeginIds,
        _ => tokenizer.BosId is int b ? [b] : [],
    };

    private static (string Model, string Tokenizer) Identities(string modelPath)
    {
        if (File.Exists(modelPath))
        {
            string id = KvModelIdentity.FromFiles([modelPath]);
            return (id, "gguf-embedded:" + id);
        }
        var tokenizerFiles = new[] { "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt" }
            .Select(f => Path.Combine(modelPath, f)).Where(File.Exists).ToList();
        return (KvModelIdentity.FromFiles(ModelFiles(modelPath)), tokenizerFiles.Count > 0 ? KvModelIdentity.FromFiles(tokenizerFiles) : "none");
    }

    // A model folder's tokenizer.json (hashed like the generator's Tokens.TokenizerHash); none for a GGUF file.
    private static string? TokenizerJson(string modelPath)
    {
        string file = Path.Combine(modelPath, "tokenizer.json");
        return Directory.Exists(modelPath) && File.Exists(file) ? file : null;
    }

    private static IEnumerable<string> ModelFiles(string folder) =>
        Directory.EnumerateFiles(folder, "*.safetensors").Append(Path.Combine(folder, "config.json"));

    /// <summary>Finishes pending disk writes and frees every module segment (and the model when owned).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var entry in _schemas.Values) entry.Dispose();
        _schemas.Clear();
        _sessions.Dispose();
        await Store.DisposeAsync().ConfigureAwait(false);
        _metrics.Dispose();
        if (_ownsModel) Model.Dispose();
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// A warmed schema: its binding, its segments (read-only views of the store's resident entries)
    /// and the pins that keep those entries in the memory tier.
    /// </summary>
    private sealed class SchemaEntry(BoundSchema schema, Dictionary<string, KvSegment> segments, List<KvPin> pins) : IDisposable
    {
        public BoundSchema Schema { get; } = schema;

        public IReadOnlyDictionary<string, KvSegment> Segments { get; } = segments;

        public void Dispose()
        {
            foreach (var s in Segments.Values) s.Dispose();
            pins.ForEach(p => p.Dispose());
        }
    }
}
