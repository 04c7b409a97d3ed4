namespace PromptCache.Runtime.Caching.Entries;

/// <summary>
/// Describes the K/V payload of one entry. The payload layout is fixed:
/// <c>[layer][K|V][token][kv_heads*head_dim]</c>, so each layer is one contiguous block of
/// <see cref="LayerBytes"/> bytes (K rows for every token, then V rows) and the layers follow each
/// other. That is what lets a loader hand out layer 0 while layer 1 is still being read.
/// </summary>
public sealed class KvEntryMetadata
{
    /// <summary>Longest label stored in a file header (UTF-8 bytes).</summary>
    public const int MaxLabelBytes = 1024;

    private readonly KvPositionRun[] _positions;

    /// <summary>Creates and validates a description.</summary>
    /// <param name="kind">Module or session.</param>
    /// <param name="elementType">K/V element type.</param>
    /// <param name="layerCount">Transformer layers (≥ 1).</param>
    /// <param name="kvHeads">K/V heads per layer (≥ 1).</param>
    /// <param name="headDim">Head dimension (≥ 1).</param>
    /// <param name="tokenCount">Tokens stored (≥ 0).</param>
    /// <param name="positions">Position runs whose counts add up to <paramref name="tokenCount"/>.</param>
    /// <param name="ropeApplied">Whether keys already carry rotary embeddings (modules: yes; sessions: no).</param>
    /// <param name="label">A human-readable note (module path, session id); diagnostics only, never part of the key.</param>
    /// <exception cref="ArgumentException">A dimension is out of range, the runs do not add up, or a layer would exceed 2 GiB.</exception>
    public KvEntryMetadata(
        KvEntryKind kind,
        KvElementType elementType,
        int layerCount,
        int kvHeads,
        int headDim,
        int tokenCount,
        IReadOnlyList<KvPositionRun> positions,
        bool ropeApplied,
        string label = "")
    {
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(label);
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentException($"Unknown entry kind {(int)kind}.", nameof(kind));
        }

        _ = elementType.SizeInBytes();
        Require(layerCount >= 1, nameof(layerCount), $"layer count must be ≥ 1, got {layerCount}");
        Require(kvHeads >= 1, nameof(kvHeads), $"kv heads must be ≥ 1, got {kvHeads}");
        Require(headDim >= 1, nameof(headDim), $"head dim must be ≥ 1, got {headDim}");
        Require(tokenCount >= 0, nameof(tokenCount), $"token count must be ≥ 0, got {tokenCount}");

        long covered = 0;
        foreach (var run in positions)
        {
            Require(run.Start >= 0 && run.Count >= 1, nameof(positions), $"position run ({run.Start}, {run.Count}) must have start ≥ 0 and count ≥ 1");
            covered += run.Count;
        }

        Require(covered == tokenCount, nameof(positions), $"position runs cover {covered} tokens but token count is {tokenCount}");
        Require(System.Text.Encoding.UTF8.GetByteCount(label) <= MaxLabelBytes, nameof(label), $"label is longer than {MaxLabelBytes} UTF-8 bytes");

        Kind = kind;
        ElementType = elementType;
        LayerCount = layerCount;
        KvHeads = kvHeads;
        HeadDim = headDim;
        TokenCount = tokenCount;
        _positions = positions.ToArray();
        RopeApplied = ropeApplied;
        Label = label;

        RowBytes = (long)kvHeads * headDim * elementType.SizeInBytes();
        LayerBytes = 2 * tokenCount * RowBytes;
        Require(LayerBytes <= int.MaxValue, nameof(tokenCount), $"one layer would hold {LayerBytes} bytes; the store keeps layers below 2 GiB so they fit a span");
        PayloadBytes = LayerBytes * layerCount;
    }

    /// <summary>A contiguous-position module entry (keys with RoPE applied).</summary>
    public static KvEntryMetadata ForModule(KvElementType elementType, int layerCount, int kvHeads, int headDim, int firstPosition, int tokenCount, string label = "") =>
        new(KvEntryKind.Module, elementType, layerCount, kvHeads, headDim, tokenCount,
            tokenCount == 0 ? [] : [new KvPositionRun(firstPosition, tokenCount)], ropeApplied: true, label);

    /// <summary>A conversation entry: positions 0..tokenCount-1, keys before RoPE.</summary>
    public static KvEntryMetadata ForSession(KvElementType elementType, int layerCount, int kvHeads, int headDim, int tokenCount, string label = "") =>
        new(KvEntryKind.Session, elementType, layerCount, kvHeads, headDim, tokenCount,
            tokenCount == 0 ? [] : [new KvPositionRun(0, tokenCount)], ropeApplied: false, label);

    /// <summary>Module or session.</summary>
    public KvEntryKind Kind { get; }

    /// <summary>K/V element type.</summary>
    public KvElementType ElementType { get; }

    /// <summary>Transformer layers.</summary>
    public int LayerCount { get; }

    /// <summary>K/V heads per layer.</summary>
    public int KvHeads { get; }

    /// <summary>Head dimension.</summary>
    public int HeadDim { get; }

    /// <summary>Tokens stored.</summary>
    public int TokenCount { get; }

    /// <summary>Position runs covering the tokens in storage order.</summary>
    public IReadOnlyList<KvPositionRun> Positions => _positions;

    /// <summary>Whether keys already carry rotary embeddings.</summary>
    public bool RopeApplied { get; }

    /// <summary>Diagnostic label.</summary>
    public string Label { get; }

    /// <summary>Bytes of one K (or V) row: kv_heads·head_dim·dtype_bytes.</summary>
    public long RowBytes { get; }

    /// <summary>Bytes of one layer: 2·tokens·kv_heads·head_dim·dtype_bytes.</summary>
    public long LayerBytes { get; }

    /// <summary>Bytes of the whole payload: layers·<see cref="LayerBytes"/>.</summary>
    public long PayloadBytes { get; }

    /// <summary>Payload bytes per cached token: 2·layers·kv_heads·head_dim·dtype_bytes.</summary>
    public long BytesPerToken => 2 * LayerCount * RowBytes;

    /// <summary>Byte offset of <paramref name="layer"/> inside the payload.</summary>
    public long LayerOffset(int layer)
    {
        CheckLayer(layer);
        return layer * LayerBytes;
    }

    /// <summary>Whether another entry has the same shape (dtype, layers, heads, head dim, tokens).</summary>
    public bool HasSameShape(KvEntryMetadata other) =>
        ElementType == other.ElementType && LayerCount == other.LayerCount && KvHeads == other.KvHeads &&
        HeadDim == other.HeadDim && TokenCount == other.TokenCount;

    /// <summary>Throws when <paramref name="layer"/> is not a valid layer index.</summary>
    public void CheckLayer(int layer)
    {
        if ((uint)layer >= (uint)LayerCount)
        {
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Layer must be in [0, {LayerCount}).");
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Kind} '{Label}': {TokenCount} tokens, {LayerCount} layers × {KvHeads} kv heads × {HeadDim} dims, {ElementType}";

    private static void Require(bool condition, string parameter, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"Invalid K/V entry metadata: {message}.", parameter);
        }
    }
}
