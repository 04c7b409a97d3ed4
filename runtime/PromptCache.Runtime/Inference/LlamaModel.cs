using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Loading;
using PromptCache.Runtime.Models;
using PromptCache.Tokenizers.Gguf;

namespace PromptCache.Runtime.Inference;

/// <summary>
/// A Llama-family decoder (Llama 2/3, Mistral, Qwen2/2.5, Qwen3, SmolLM, llama2.c) whose forward
/// pass takes explicit position IDs and attends over caller-supplied K/V segments. This file is the
/// whole model; the arithmetic lives behind <see cref="IComputeBackend"/>.
/// </summary>
/// <remarks>
/// One call computes new tokens at given positions. They attend to every token of every context
/// segment (or, on request, only to those at lower positions: <see cref="ContextVisibility"/>), to the
/// tokens already in the output segment, and causally among themselves; their K/V
/// (RoPE applied) is appended to the output segment, which the caller owns and can reuse later.
/// </remarks>
public sealed unsafe class LlamaModel : IDisposable
{
    private readonly IComputeBackend _backend;
    private readonly ITensorSource _files;
    private readonly RopeRows _ropeRows;

    private LlamaModel(string path, LoadedModel loaded, IComputeBackend backend)
    {
        Path = path;
        Config = loaded.Config;
        Weights = loaded.Weights;
        Gguf = loaded.Gguf;
        _files = loaded.Files;
        _backend = backend;
        _ropeRows = new RopeRows(Config.Rope.InverseFrequencies(Config.HeadDim));
        MaxChunkTokens = backend.PreferredChunkTokens;
    }

    /// <summary>
    /// A model over weights that are already in memory (built by code: random benchmark models, or weights
    /// a backend made on its device), not read from files. <see cref="Path"/> is empty and
    /// <see cref="Dispose"/> unmaps nothing; the caller keeps the weights alive.
    /// </summary>
    public static LlamaModel FromWeights(ModelConfig config, ModelWeights weights, IComputeBackend? backend = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Layers.Length != config.LayerCount)
            throw new ArgumentException($"The weights have {weights.Layers.Length} layers; the config says {config.LayerCount}.", nameof(weights));
        return new(string.Empty, new LoadedModel(config, weights, NoFiles.Instance, null), backend ?? CpuBackend.Instance);
    }

    /// <summary>Where the model was loaded from (a folder or a .gguf file); empty for <see cref="FromWeights"/>.</summary>
    public string Path { get; }

    /// <summary>Hyperparameters.</summary>
    public ModelConfig Config { get; }

    /// <summary>Where the forward passes run.</summary>
    public IComputeBackend Backend => _backend;

    /// <summary>The weights: memory-mapped from the model files, or those given to <see cref="FromWeights"/>.</summary>
    public ModelWeights Weights { get; }

    /// <summary>The GGUF header when loaded from a .gguf (its embedded vocabulary feeds the tokenizer).</summary>
    public GgufFile? Gguf { get; }

    /// <summary>
    /// The largest number of new tokens pushed through the layers at once. Longer inputs are cut into
    /// chunks that each append their K/V before the next runs, which gives the same result while
    /// bounding activation memory. Defaults to the backend's <see cref="IComputeBackend.PreferredChunkTokens"/>.
    /// </summary>
    public int MaxChunkTokens { get; set; }

    /// <summary>Loads a Hugging Face folder (config.json + safetensors) or a GGUF file, memory-mapping the weights.</summary>
    /// <exception cref="NotSupportedException">The architecture or a data type is not supported.</exception>
    /// <exception cref="InvalidDataException">A tensor is missing or has the wrong shape; the message names it.</exception>
    public static LlamaModel Load(string path, IComputeBackend? backend = null) =>
        new(path, ModelLoader.Open(path), backend ?? CpuBackend.Instance);

    /// <summary>Creates an empty K/V segment for this model; the caller owns it.</summary>
    public KvSegment CreateSegment(KvDataType dataType = KvDataType.F32, int capacity = 16) => new(Config, dataType, capacity);

    /// <summary>
    /// Computes a new segment for <paramref name="ids"/> at <paramref name="positions"/>, attending to
    /// <paramref name="context"/> (none for a self-contained module). The caller owns the result.
    /// </summary>
    public KvSegment Prefill(ReadOnlySpan<int> ids, ReadOnlySpan<int> positions, IReadOnlyList<KvSegment>? context = null,
        KvDataType dataType = KvDataType.F32, CancellationToken cancellationToken = default)
    {
        var segment = CreateSegment(dataType, ids.Length);
        try
        {
            Forward(ids, positions, context ?? [], segment, LogitsMode.None, cancellationToken);
            return segment;
        }
        catch
        {
            segment.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs the new tokens through the model.
    /// </summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="positions">One position ID per token; any non-negative values (discontinuous is normal).</param>
    /// <param name="context">Segments every new token attends to in full, in order.</param>
    /// <param name="output">Where the new tokens' K/V is appended. Its existing tokens are attended
    /// to in full as well (a growing decode session). Null: a temporary segment is used and dropped.</param>
    /// <param name="logits">Which logits rows to compute.</param>
    /// <param name="cancellationToken">Checked between layers.</param>
    public ForwardResult Forward(ReadOnlySpan<int> ids, ReadOnlySpan<int> positions, IReadOnlyList<KvSegment> context,
        KvSegment? output, LogitsMode logits, CancellationToken cancellationToken = default) =>
        Forward(ids, positions, context, output, logits, ContextVisibility.All, cancellationToken);

    /// <summary>
    /// Runs the new tokens through the model, choosing which context tokens they see.
    /// </summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="positions">One position ID per token; any non-negative values (discontinuous is normal).</param>
    /// <param name="context">Segments the new tokens attend to, in order.</param>
    /// <param name="output">Where the new tokens' K/V is appended; its existing tokens are attended to in full.</param>
    /// <param name="logits">Which logits rows to compute.</param>
    /// <param name="visibility">Every context token, or only those at positions below each new token's
    /// (Prompt Cache's rule for arguments inside a schema).</param>
    /// <param name="cancellationToken">Checked between layers.</param>
    public ForwardResult Forward(ReadOnlySpan<int> ids, ReadOnlySpan<int> positions, IReadOnlyList<KvSegment> context,
        KvSegment? output, LogitsMode logits, ContextVisibility visibility, CancellationToken cancellationToken = default)
    {
        if (ids.Length == 0) throw new ArgumentException("Forward needs at least one token.", nameof(ids));
        if (positions.Length != ids.Length)
            throw new ArgumentException($"{ids.Length} token ids but {positions.Length} position ids.", nameof(positions));
        foreach (int p in positions)
            if (p < 0) throw new ArgumentOutOfRangeException(nameof(positions), p, "Position ids must be non-negative.");
        foreach (var s in context)
        {
            if (!s.Fits(Config)) throw new ArgumentException($"A context segment is shaped for {s.LayerCount} layers × {s.KvHeadCount} kv heads × {s.HeadDim}, not this model.", nameof(context));
            if (ReferenceEquals(s, output)) throw new ArgumentException("The output segment must not also be listed in the context.", nameof(context));
        }
        if (output is not null && !output.Fits(Config)) throw new ArgumentException("The output segment is shaped for another model.", nameof(output));

        // Dropped at the end: a GPU backend need not copy its rows to host memory.
        using var temporary = output is null ? new KvSegment(Config, KvDataType.F32, ids.Length) { HostWriteBack = false } : null;
        var target = output ?? temporary!;
        int vocab = Config.VocabSize;
        int rows = logits switch { LogitsMode.All => ids.Length, LogitsMode.Last => 1, _ => 0 };
        var result = new float[(long)rows * vocab];
        int chunk = Math.Max(1, MaxChunkTokens);
        for (int start = 0; start < ids.Length; start += chunk)
        {
            int n = Math.Min(chunk, ids.Length - start);
            bool last = start + n == ids.Length;
            Span<float> destination = logits switch
            {
                LogitsMode.All => result.AsSpan(start * vocab, n * vocab),
                LogitsMode.Last when last => result.AsSpan(),
                _ => default,
            };
            int logitRows = logits == LogitsMode.All ? n : (logits == LogitsMode.Last && last ? 1 : 0);
            float* head = ForwardChunk(ids.Slice(start, n), positions.Slice(start, n), context, visibility, target, logitRows, cancellationToken);
            if (head is null) continue;
            try
            {
                _backend.CopyToHost(head, destination);
            }
            finally
            {
                _backend.Free(head);
            }
        }
        _backend.Flush();
        return new ForwardResult(result, rows, vocab);
    }

    /// <summary>
    /// The GPU benchmarks' forward: one chunk, all context seen, whose last <paramref name="logitRows"/> rows' logits
    /// stay in the backend's memory (the caller frees them with <see cref="IComputeBackend.Free"/>), so they can be
    /// sampled there or a forward can be recorded whole. Null when <paramref name="logitRows"/> is 0.
    /// </summary>
    internal float* ForwardToBackend(ReadOnlySpan<int> ids, ReadOnlySpan<int> positions, IReadOnlyList<KvSegment> context, KvSegment output, int logitRows)
    {
        float* head = ForwardChunk(ids, positions, context, ContextVisibility.All, output, logitRows, CancellationToken.None);
        if (head is null) _backend.Flush();
        return head;
    }

    // The transformer itself, for n tokens whose K/V is appended to `output`. Returns the vocabulary logits of the
    // `logitRows` trailing tokens in the backend's memory (the caller frees them), or null when there are none.
    private float* ForwardChunk(ReadOnlySpan<int> ids, ReadOnlySpan<int> positions, IReadOnlyList<KvSegment> context,
        ContextVisibility visibility, KvSegment output, int logitRows, CancellationToken ct)
    {
        var c = Config;
        var B = _backend;
        int n = ids.Length, d = c.HiddenSize, H = c.HeadCount, KV = c.KvHeadCount, hd = c.HeadDim;
        int start = output.Count;
        output.EnsureCapacity(start + n);

        // Context segments are seen in full (or below each row's position); the output segment is seen
        // up to where this chunk starts, then causally within the chunk.
        var groups = AttentionGroup.Plan(positions, context, output, start, visibility);
        var rope = new RopeTable(positions, _ropeRows);

        using var act = new Activations(B, n, c);
        float* x = act.X, xb = act.Xb, q = act.Q, k = act.K, v = act.V, att = act.Att, gate = act.Gate, up = act.Up;

        B.Embed(Weights.Embedding, ids, x);
        for (int l = 0; l < c.LayerCount; l++)
        {
            ct.ThrowIfCancellationRequested();
            var L = Weights.Layers[l];

            // Attention: x += Wo · attend(rope(Wq·norm(x)), rope(Wk·norm(x)), Wv·norm(x))
            B.RmsNorm(x, xb, n, d, L.AttentionNorm, c.RmsNormEps);
            B.MatMul(xb, n, L.Query, q);
            B.MatMul(xb, n, L.Key, k);
            B.MatMul(xb, n, L.Value, v);
            if (L.QueryBias is { } bq) B.AddBias(q, n, bq);
            if (L.KeyBias is { } bk) B.AddBias(k, n, bk);
            if (L.ValueBias is { } bv) B.AddBias(v, n, bv);
            if (L.QueryNorm is { } qn) B.RmsNorm(q, q, n * H, hd, qn, c.RmsNormEps);
            if (L.KeyNorm is { } kn) B.RmsNorm(k, k, n * KV, hd, kn, c.RmsNormEps);
            B.Rope(q, n, H, rope, c.RopeStyle);
            B.Rope(k, n, KV, rope, c.RopeStyle);
            B.StoreKv(output, l, start, k, v, n);
            for (int i = 0; i < context.Count; i++) context[i].WaitForLayer(l, ct); // layer-wise loads overlap the layers before

            // Past the last layer's K/V store only the logit rows feed anything: the rest of that layer
            // runs for them alone (a prefill that wants one row or none saves about 1/LayerCount).
            int skip = l == c.LayerCount - 1 ? n - logitRows : 0, rows = n - skip;
            if (rows == 0) break;
            foreach (var g in AttentionGroup.From(groups, skip))
                B.Attention(q + (long)g.FirstRow * H * hd, g.Rows, H, g.Blocks, l, att + (long)g.FirstRow * H * hd);
            float* xs = x + (long)skip * d;
            B.MatMulAdd(att + (long)skip * H * hd, rows, L.Output, xs, xb);

            // Feed-forward (SwiGLU): x += Wdown · (silu(Wgate·norm(x)) ⊙ Wup·norm(x))
            B.RmsNorm(xs, xb, rows, d, L.FfnNorm, c.RmsNormEps);
            B.MatMul(xb, rows, L.Gate, gate);
            B.MatMul(xb, rows, L.Up, up);
            B.SiluMul(gate, up, (long)rows * c.FfnSize);
            B.MatMulAdd(gate, rows, L.Down, xs, xb);
        }
        output.Commit(positions);
        if (logitRows == 0) return null;

        // Only the rows asked for go through the final norm and the (large) output head.
        float* lastRows = x + (long)(n - logitRows) * d;
        B.RmsNorm(lastRows, xb, logitRows, d, Weights.FinalNorm, c.RmsNormEps);
        float* head = B.Allocate((long)logitRows * c.VocabSize);
        try
        {
            B.MatMul(xb, logitRows, Weights.Output, head);
        }
        catch
        {
            B.Free(head);
            throw;
        }
        return head;
    }

    /// <summary>Unmaps the model files. Segments created earlier stay valid.</summary>
    public void Dispose() => _files.Dispose();

    // The tensor source of a model built from weights in memory: no files to read or unmap.
    private sealed class NoFiles : ITensorSource
    {
        public static readonly NoFiles Instance = new();

        public string Description => "weights in memory";

        public bool TryGet(string name, out RawTensor tensor)
        {
            tensor = default;
            return false;
        }

        public void Dispose() { }
    }
}
