using PromptCache.Runtime.Models;

namespace PromptCache.Runtime.Inference;

/// <summary>
/// The attention keys and values of a run of tokens at known positions, for every layer: the unit
/// Prompt Cache stores and reuses. Keys are stored with RoPE already applied at
/// <see cref="Positions"/>, so a segment can be attended to from any later tokens without
/// recomputation.
/// </summary>
/// <remarks>
/// <para>Layout (one native block): <c>[layer][K|V][token][kv_head·head_dim]</c>, with room for
/// <see cref="Capacity"/> tokens per layer, of which the first <see cref="Count"/> are valid. Each
/// layer's K and V are contiguous, so a segment can be saved, loaded or copied to a GPU with one
/// copy per layer and per K/V.</para>
/// <para>Bytes per token = 2 · layers · kv_heads · head_dim · dtype bytes (4 for f32, 2 for f16/bf16).
/// For example TinyLlama-1.1B (22 layers, 4 kv heads, head_dim 64) in f16 uses 22 KiB per token.</para>
/// <para>The caller owns a segment and must dispose it; the memory is freed by a SafeHandle. A
/// <see cref="Borrow">borrowed</see> segment reads K/V that lives elsewhere (a cache store entry) in
/// place, and disposing it releases that owner instead.</para>
/// </remarks>
public sealed unsafe class KvSegment : IDisposable
{
    private NativeBuffer? _buffer;
    private readonly nint[]? _borrowedLayers;
    private IDisposable? _owner;
    private Action<int, CancellationToken>? _layerGate;
    private volatile IPendingHostWrites? _pendingWrites;
    private readonly List<int> _positions = new();

    /// <summary>Creates an empty segment shaped for <paramref name="config"/>.</summary>
    /// <param name="config">The model the K/V belongs to.</param>
    /// <param name="dataType">Storage type of K and V.</param>
    /// <param name="capacity">Tokens to reserve room for; the segment grows when appended beyond it.</param>
    public KvSegment(ModelConfig config, KvDataType dataType = KvDataType.F32, int capacity = 16)
        : this(config.LayerCount, config.KvHeadCount, config.HeadDim, dataType, capacity)
    {
    }

    /// <summary>Creates an empty segment with explicit dimensions.</summary>
    public KvSegment(int layerCount, int kvHeadCount, int headDim, KvDataType dataType, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layerCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvHeadCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        LayerCount = layerCount;
        KvHeadCount = kvHeadCount;
        HeadDim = headDim;
        DataType = dataType;
        Capacity = Math.Max(capacity, 1);
        _buffer = new NativeBuffer(BytesPerToken * Capacity);
    }

    private KvSegment(int layerCount, int kvHeadCount, int headDim, KvDataType dataType, IReadOnlyList<int> positions, nint[] layers, IDisposable owner)
    {
        LayerCount = layerCount;
        KvHeadCount = kvHeadCount;
        HeadDim = headDim;
        DataType = dataType;
        _borrowedLayers = layers;
        _owner = owner;
        for (int i = 0; i < positions.Count; i++) _positions.Add(positions[i]);
        Count = Capacity = positions.Count;
    }

    /// <summary>
    /// Wraps K/V that another object keeps in native memory, in the <see cref="CopyLayerTo"/> layout
    /// (per layer: K rows of every token, then V rows), without copying it. The segment is read-only:
    /// it can be attended to, not appended to or truncated. Disposing it disposes <paramref name="owner"/>.
    /// </summary>
    /// <remarks>Why: the cache store already holds module K/V resident; a second copy in the engine would
    /// double the memory per cached token.</remarks>
    /// <param name="layerCount">Decoder layers.</param>
    /// <param name="kvHeadCount">Key/value heads per layer.</param>
    /// <param name="headDim">Dimension of one head.</param>
    /// <param name="dataType">Storage type of the bytes.</param>
    /// <param name="positions">The position of each token (its count is the token count).</param>
    /// <param name="layerAddress">The address of layer i's first key; it must stay valid until <paramref name="owner"/> is disposed.</param>
    /// <param name="owner">Keeps the memory alive (e.g. a store lease); disposed with the segment.</param>
    public static KvSegment Borrow(int layerCount, int kvHeadCount, int headDim, KvDataType dataType, IReadOnlyList<int> positions,
        Func<int, nint> layerAddress, IDisposable owner)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layerCount);
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(layerAddress);
        ArgumentNullException.ThrowIfNull(owner);
        var layers = new nint[layerCount];
        for (int l = 0; l < layerCount; l++)
        {
            layers[l] = layerAddress(l);
            if (layers[l] == 0) throw new ArgumentException($"Layer {l} has no address.", nameof(layerAddress));
        }
        return new KvSegment(layerCount, kvHeadCount, headDim, dataType, positions, layers, owner);
    }

    /// <summary>Whether <see cref="Dispose"/> has run (its bytes are gone).</summary>
    public bool IsDisposed => _borrowedLayers is null ? _buffer!.IsClosed : _owner is null;

    /// <summary>Whether this segment borrows its K/V (read-only) rather than owning it.</summary>
    public bool IsBorrowed => _borrowedLayers is not null;

    /// <summary>
    /// A segment of <paramref name="positions"/>.Count tokens whose bytes the caller fills layer by layer
    /// through <see cref="GetWritableKeys"/> and <see cref="GetWritableValues"/> (e.g. while reading a
    /// stored session). Until a layer is written its bytes are unspecified: gate the forward (SetLayerGate) or
    /// write every layer before attending to it. The caller owns the result.
    /// </summary>
    /// <param name="layerCount">Decoder layers.</param>
    /// <param name="kvHeadCount">Key/value heads per layer.</param>
    /// <param name="headDim">Dimension of one head.</param>
    /// <param name="dataType">Storage type.</param>
    /// <param name="positions">The position of each token.</param>
    public static KvSegment Allocate(int layerCount, int kvHeadCount, int headDim, KvDataType dataType, IReadOnlyList<int> positions)
    {
        ArgumentNullException.ThrowIfNull(positions);
        var segment = new KvSegment(layerCount, kvHeadCount, headDim, dataType, positions.Count);
        var list = new int[positions.Count];
        for (int i = 0; i < list.Length; i++) list[i] = positions[i];
        segment.Commit(list);
        return segment;
    }

    /// <summary>Layer <paramref name="layer"/>'s key rows of the valid tokens, writable (not for borrowed segments).</summary>
    public Span<byte> GetWritableKeys(int layer)
    {
        ThrowIfBorrowed("written");
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, LayerCount);
        return new Span<byte>(Keys(layer), checked(Count * KvDim * ElementBytes));
    }

    /// <summary>Layer <paramref name="layer"/>'s value rows of the valid tokens, writable (not for borrowed segments).</summary>
    public Span<byte> GetWritableValues(int layer)
    {
        ThrowIfBorrowed("written");
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, LayerCount);
        return new Span<byte>(Values(layer), checked(Count * KvDim * ElementBytes));
    }

    /// <summary>
    /// Makes a forward pass wait, before it attends to layer l of this segment, until
    /// <paramref name="waitForLayer"/>(l) returns: the segment is still being filled layer by layer, and
    /// the forward computes the layers before l meanwhile (AttentionStore's layer-wise preloading). The
    /// callback may throw to abort the forward (e.g. a layer failed its checksum). Null removes the gate.
    /// </summary>
    public void SetLayerGate(Action<int, CancellationToken>? waitForLayer) => _layerGate = waitForLayer;

    /// <summary>
    /// Registers host writes into this segment that are still in flight (a GPU backend's asynchronous
    /// copy-back of new K/V). Reading the bytes (<see cref="CopyLayerTo"/>, <see cref="Clone"/>,
    /// <see cref="Slice"/>, a CPU forward), growing the segment and disposing it wait for them first.
    /// </summary>
    /// <remarks>Only a backend calls this; the same object may be registered again with more writes queued.</remarks>
    public void SetPendingHostWrites(IPendingHostWrites? pending) => _pendingWrites = pending;

    /// <summary>Waits for the host writes registered with <see cref="SetPendingHostWrites"/> (no-op without any).</summary>
    public void WaitForHostWrites() => _pendingWrites?.WaitForHostWrites();

    /// <summary>Blocks until layer <paramref name="layer"/> is ready (no-op without a gate).</summary>
    internal void WaitForLayer(int layer, CancellationToken ct) => _layerGate?.Invoke(layer, ct);

    /// <summary>Decoder layers.</summary>
    public int LayerCount { get; }

    /// <summary>Key/value heads per layer.</summary>
    public int KvHeadCount { get; }

    /// <summary>Dimension of one head.</summary>
    public int HeadDim { get; }

    /// <summary>Storage type of K and V.</summary>
    public KvDataType DataType { get; }

    /// <summary>Valid tokens.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Whether a GPU backend copies the K/V it computes into this segment's host memory as it goes (when its own
    /// write-back option is on). True by default. False suits a segment that only GPU forward passes read and that
    /// is emptied or dropped afterwards, such as the engine's per-request session: the copy over PCIe and into host
    /// memory is skipped. The host bytes are then not current until the backend saves its device rows, which it
    /// does before it drops its device copy (and on <c>SaveToHost</c>); read them only after that. The CPU
    /// backend computes in host memory and ignores this.
    /// </summary>
    public bool HostWriteBack { get; set; } = true;

    /// <summary>Tokens that fit without reallocating.</summary>
    public int Capacity { get; private set; }

    /// <summary>The position ID each token's key was rotated at.</summary>
    public IReadOnlyList<int> Positions => _positions;

    /// <summary>Bytes of one stored value.</summary>
    public int ElementBytes => DataType == KvDataType.F32 ? 4 : 2;

    /// <summary>Values per token per layer in K (or V): kv_heads · head_dim.</summary>
    public int KvDim => KvHeadCount * HeadDim;

    /// <summary>2 · layers · kv_heads · head_dim · dtype bytes.</summary>
    public long BytesPerToken => 2L * LayerCount * KvDim * ElementBytes;

    /// <summary>Bytes held by the valid tokens.</summary>
    public long ByteCount => BytesPerToken * Count;

    /// <summary>Whether this segment can be used with <paramref name="config"/>.</summary>
    public bool Fits(ModelConfig config) =>
        config.LayerCount == LayerCount && config.KvHeadCount == KvHeadCount && config.HeadDim == HeadDim;

    /// <summary>
    /// The first key of <paramref name="layer"/>: <see cref="Capacity"/> rows of <see cref="KvDim"/> values,
    /// once pending host writes have landed.
    /// </summary>
    internal byte* Keys(int layer)
    {
        _pendingWrites?.WaitForHostWrites();
        return KeysInFlight(layer);
    }

    /// <summary>
    /// The address of <paramref name="layer"/>'s first key without waiting for pending host writes: for the
    /// backend that queues those writes (waiting there would serialise it with its own copies).
    /// </summary>
    internal byte* KeysInFlight(int layer)
    {
        if (_borrowedLayers is null) return Handle() + (long)layer * 2 * Capacity * KvDim * ElementBytes;
        ObjectDisposedException.ThrowIf(_owner is null, this);
        return (byte*)_borrowedLayers[layer];
    }

    /// <summary>The first value of <paramref name="layer"/>.</summary>
    internal byte* Values(int layer) => Keys(layer) + (long)Capacity * KvDim * ElementBytes;

    /// <summary>The first value of <paramref name="layer"/> without waiting (see <see cref="KeysInFlight"/>).</summary>
    internal byte* ValuesInFlight(int layer) => KeysInFlight(layer) + (long)Capacity * KvDim * ElementBytes;

    private byte* Handle()
    {
        ObjectDisposedException.ThrowIf(_buffer!.IsClosed, this);
        return _buffer.Pointer;
    }

    private void ThrowIfBorrowed(string what)
    {
        if (_borrowedLayers is not null) throw new InvalidOperationException($"This K/V segment is borrowed (read-only); it cannot be {what}.");
    }

    /// <summary>Makes room for <paramref name="tokens"/> tokens, keeping the valid ones (doubling to amortise appends).</summary>
    internal void EnsureCapacity(int tokens)
    {
        if (tokens <= Capacity) return;
        ThrowIfBorrowed("appended to");
        WaitForHostWrites(); // queued writes target the old block
        int newCapacity = Math.Max(tokens, Capacity * 2);
        var bigger = new NativeBuffer(BytesPerToken * newCapacity);
        long rowBytes = (long)KvDim * ElementBytes;
        for (int layer = 0; layer < LayerCount; layer++)
        {
            for (int kv = 0; kv < 2; kv++)
            {
                byte* from = Handle() + (2L * layer + kv) * Capacity * rowBytes;
                byte* to = bigger.Pointer + (2L * layer + kv) * newCapacity * rowBytes;
                Buffer.MemoryCopy(from, to, Count * rowBytes, Count * rowBytes);
            }
        }
        _buffer!.Dispose();
        _buffer = bigger;
        Capacity = newCapacity;
    }

    /// <summary>Marks tokens written past <see cref="Count"/> as valid, recording their positions.</summary>
    internal void Commit(ReadOnlySpan<int> positions)
    {
        if (Count + positions.Length > Capacity) throw new InvalidOperationException("KvSegment: commit beyond capacity.");
        foreach (int p in positions) _positions.Add(p);
        Count += positions.Length;
    }

    /// <summary>Drops the tokens from <paramref name="count"/> on (e.g. to roll a session back).</summary>
    public void Truncate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Count);
        ThrowIfBorrowed("truncated");
        _positions.RemoveRange(count, Count - count);
        Count = count;
    }

    /// <summary>Copies this segment into a new one the caller owns, sized exactly to <see cref="Count"/> (or <paramref name="capacity"/>).</summary>
    public KvSegment Clone(int capacity = 0)
    {
        var copy = new KvSegment(LayerCount, KvHeadCount, HeadDim, DataType, Math.Max(capacity, Count));
        long rowBytes = (long)KvDim * ElementBytes;
        for (int layer = 0; layer < LayerCount; layer++)
        {
            Buffer.MemoryCopy(Keys(layer), copy.Keys(layer), Count * rowBytes, Count * rowBytes);
            Buffer.MemoryCopy(Values(layer), copy.Values(layer), Count * rowBytes, Count * rowBytes);
        }
        copy.Commit(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_positions));
        return copy;
    }

    /// <summary>Bytes of one layer's valid K and V: 2 · <see cref="Count"/> · kv_heads · head_dim · dtype bytes.</summary>
    public long LayerByteCount => 2L * Count * KvDim * ElementBytes;

    /// <summary>
    /// Copies one layer's valid K rows then V rows into <paramref name="destination"/> (exactly
    /// <see cref="LayerByteCount"/> bytes): the layout cache files and host tiers use.
    /// </summary>
    public void CopyLayerTo(int layer, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, LayerCount);
        if (destination.Length < LayerByteCount)
            throw new ArgumentException($"A layer of {Count} tokens needs {LayerByteCount} bytes; the destination has {destination.Length}.", nameof(destination));
        int half = checked((int)(LayerByteCount / 2));
        new ReadOnlySpan<byte>(Keys(layer), half).CopyTo(destination);
        new ReadOnlySpan<byte>(Values(layer), half).CopyTo(destination[half..]);
    }

    /// <summary>
    /// Rebuilds a segment from per-layer bytes in the <see cref="CopyLayerTo"/> layout. The caller owns the result.
    /// </summary>
    /// <param name="layerCount">Decoder layers.</param>
    /// <param name="kvHeadCount">Key/value heads per layer.</param>
    /// <param name="headDim">Dimension of one head.</param>
    /// <param name="dataType">Storage type the bytes are in.</param>
    /// <param name="positions">The position of each token (its count is the token count).</param>
    /// <param name="layer">Returns layer i's bytes: K rows then V rows.</param>
    public static KvSegment FromLayers(int layerCount, int kvHeadCount, int headDim, KvDataType dataType,
        IReadOnlyList<int> positions, Func<int, ReadOnlyMemory<byte>> layer)
    {
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(layer);
        var segment = new KvSegment(layerCount, kvHeadCount, headDim, dataType, positions.Count);
        try
        {
            long half = (long)positions.Count * segment.KvDim * segment.ElementBytes;
            for (int l = 0; l < layerCount; l++)
            {
                ReadOnlySpan<byte> bytes = layer(l).Span;
                if (bytes.Length != 2 * half)
                    throw new ArgumentException($"Layer {l} has {bytes.Length} bytes; {positions.Count} tokens need {2 * half}.", nameof(layer));
                bytes[..(int)half].CopyTo(new Span<byte>(segment.Keys(l), (int)half));
                bytes[(int)half..].CopyTo(new Span<byte>(segment.Values(l), (int)half));
            }
            var list = new int[positions.Count];
            for (int i = 0; i < list.Length; i++) list[i] = positions[i];
            segment.Commit(list);
            return segment;
        }
        catch
        {
            segment.Dispose();
            throw;
        }
    }

    /// <summary>Copies tokens <c>[start, start + count)</c> into a new segment the caller owns.</summary>
    public KvSegment Slice(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, Count);
        var copy = new KvSegment(LayerCount, KvHeadCount, HeadDim, DataType, count);
        long rowBytes = (long)KvDim * ElementBytes;
        for (int layer = 0; layer < LayerCount; layer++)
        {
            Buffer.MemoryCopy(Keys(layer) + start * rowBytes, copy.Keys(layer), count * rowBytes, count * rowBytes);
            Buffer.MemoryCopy(Values(layer) + start * rowBytes, copy.Values(layer), count * rowBytes, count * rowBytes);
        }
        copy.Commit(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_positions).Slice(start, count));
        return copy;
    }

    /// <summary>Frees the native memory (or releases the owner of borrowed memory).</summary>
    public void Dispose()
    {
        try
        {
            WaitForHostWrites(); // nothing may still be copying into the block being freed
        }
        catch (InvalidOperationException)
        {
            // A failed copy-back leaves nothing in flight; the memory can go.
        }
        _buffer?.Dispose();
        Interlocked.Exchange(ref _owner, null)?.Dispose();
    }
}
