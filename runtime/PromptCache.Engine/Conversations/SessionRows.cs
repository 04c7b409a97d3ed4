using PromptCache.Engine.Caching;
using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Store;
using PromptCache.Runtime.Inference;

namespace PromptCache.Engine.Conversations;

/// <summary>A run of rows of the session's stored entry (its keys before RoPE), by row index.</summary>
internal readonly record struct RowRange(int Start, int Count);

/// <summary>
/// A session's store entry as the store sees it (<see cref="KvEntryKind.Session"/>, keys before RoPE), assembled
/// from pieces without an intermediate copy: rows of the previous entry (already pre-RoPE: copied verbatim,
/// so a key is rounded by its un-rotation once, not once per turn) followed by rows of rotated segments
/// (the turn's new tokens, or a recomputed history), un-rotated as they are copied into the store's buffer.
/// </summary>
internal sealed class SessionEntryBlob : IKvBlob
{
    private readonly KvLayerwiseLoad? _previous;
    private readonly IReadOnlyList<RowRange> _kept;
    private readonly IReadOnlyList<(KvSegment Segment, float[] Cos, float[] Sin)> _rotated;
    private readonly RotaryRotation _rotary;
    private readonly KvDataType _type;

    /// <param name="previous">The previous entry, or null.</param>
    /// <param name="kept">Its rows to keep, in order.</param>
    /// <param name="rotated">Segments whose keys carry RoPE at their own positions.</param>
    /// <param name="positions">The position of every row of the result (kept rows first), after any truncation.</param>
    /// <param name="rotary">The model's rotation.</param>
    /// <param name="type">K/V element type.</param>
    /// <param name="layerCount">Decoder layers.</param>
    /// <param name="label">Diagnostics label.</param>
    public SessionEntryBlob(KvLayerwiseLoad? previous, IReadOnlyList<RowRange> kept, IReadOnlyList<KvSegment> rotated,
        IReadOnlyList<int> positions, RotaryRotation rotary, KvDataType type, int layerCount, string label)
    {
        _previous = previous;
        _kept = kept;
        _rotary = rotary;
        _type = type;
        _rotated = [.. rotated.Select(s =>
        {
            var (cos, sin) = rotary.Table([.. s.Positions], [.. Enumerable.Repeat(RotaryRotation.Unrotated, s.Count)]);
            return (s, cos, sin);
        })];
        Metadata = new KvEntryMetadata(KvEntryKind.Session, KvSegmentBytes.ElementType(type), layerCount, rotary.KvHeads, rotary.HeadDim,
            positions.Count, Runs(positions), ropeApplied: false, label);
    }

    public KvEntryMetadata Metadata { get; }

    public void CopyLayerTo(int layer, Span<byte> destination)
    {
        long row = Metadata.RowBytes;
        int total = Metadata.TokenCount;
        var keys = destination[..checked((int)(total * row))];
        var values = destination.Slice((int)(total * row), (int)(total * row));
        int at = 0;
        if (_previous is not null)
        {
            var source = _previous.GetLayer(layer);
            int previousRows = _previous.Metadata.TokenCount;
            foreach (var range in _kept)
            {
                int bytes = checked((int)(range.Count * row));
                source.Slice((int)(range.Start * row), bytes).CopyTo(keys.Slice((int)(at * row), bytes));
                source.Slice((int)((previousRows + range.Start) * row), bytes).CopyTo(values.Slice((int)(at * row), bytes));
                at += range.Count;
            }
        }
        float[]? scratch = null;
        foreach (var (segment, cos, sin) in _rotated)
        {
            if (segment.Count == 0) continue;
            var layerBytes = new byte[segment.LayerByteCount];
            segment.CopyLayerTo(layer, layerBytes);
            int bytes = checked((int)(segment.Count * row));
            var k = keys.Slice((int)(at * row), bytes);
            layerBytes.AsSpan(0, bytes).CopyTo(k);
            layerBytes.AsSpan(bytes, bytes).CopyTo(values.Slice((int)(at * row), bytes));
            scratch ??= new float[_rotary.KvHeads * _rotary.HeadDim];
            _rotary.Rotate(k, segment.Count, _type, cos, sin, 0, scratch);
            at += segment.Count;
        }
        if (at != total) throw new InvalidOperationException($"Session entry: assembled {at} rows of {total}.");
    }

    /// <summary>Position runs of a position list.</summary>
    public static List<KvPositionRun> Runs(IReadOnlyList<int> positions)
    {
        var runs = new List<KvPositionRun>();
        for (int i = 0; i < positions.Count;)
        {
            int j = i + 1;
            while (j < positions.Count && positions[j] == positions[j - 1] + 1) j++;
            runs.Add(new KvPositionRun(positions[i], j - i));
            i = j;
        }
        return runs;
    }
}

/// <summary>
/// Turns a stored session entry (keys before RoPE) into a segment the model can attend to: the kept rows,
/// keys rotated to their (possibly shifted) positions, values copied straight into the segment.
/// </summary>
/// <remarks>
/// The fill is layer-wise and overlaps the turn's forward pass (AttentionStore's preloading): the segment
/// is handed out at once with a layer gate, a worker converts layer l as soon as the store has it (on a
/// disk load, as soon as its CRC passed, while later layers are still being read), and the forward only
/// waits before attending to a layer that is not there yet. If a layer fails verification part-way, the
/// gate recomputes the whole history from its tokens before the forward
/// goes on, so a corrupt file costs time, never a wrong answer.
/// </remarks>
internal sealed class FillingHistory : IDisposable
{
    // 32 rows of a 768-wide f32 key are 96 KiB: the block is rotated while it is still in L2.
    private const int RowsPerBlock = 32;

    private readonly TaskCompletionSource<bool>[] _layers;
    private readonly Func<KvSegment, CancellationToken, int> _recompute;
    private readonly Lock _recomputeGate = new();
    private readonly CancellationTokenSource _stop = new();
    private bool _recomputed;

    private FillingHistory(KvSegment segment, int layerCount, Func<KvSegment, CancellationToken, int> recompute)
    {
        Segment = segment;
        _recompute = recompute;
        _layers = [.. Enumerable.Range(0, layerCount).Select(_ => new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously))];
        segment.SetLayerGate(WaitForLayer);
    }

    /// <summary>The history segment (filled in the background until <see cref="Completion"/>).</summary>
    public KvSegment Segment { get; }

    /// <summary>The background fill (false when a layer failed and the history was, or will be, recomputed).</summary>
    public Task<bool> Completion { get; private set; } = Task.FromResult(true);

    /// <summary>Tokens recomputed because the stored entry failed part-way (0 normally).</summary>
    public int RecomputedTokens { get; private set; }

    /// <summary>Starts filling a history segment from <paramref name="load"/>.</summary>
    /// <param name="load">The stored entry, arriving layer by layer.</param>
    /// <param name="kept">Its rows to keep, in order.</param>
    /// <param name="positions">The position of each kept row (after any truncation).</param>
    /// <param name="rotary">The model's rotation.</param>
    /// <param name="type">K/V element type.</param>
    /// <param name="recompute">Fills the segment from the history's tokens instead (a forward pass); returns the tokens computed.</param>
    public static FillingHistory Begin(KvLayerwiseLoad load, IReadOnlyList<RowRange> kept, IReadOnlyList<int> positions,
        RotaryRotation rotary, KvDataType type, Func<KvSegment, CancellationToken, int> recompute)
    {
        var metadata = load.Metadata;
        int count = kept.Sum(r => r.Count);
        if (count != positions.Count) throw new InvalidOperationException($"Session: {count} kept rows but {positions.Count} positions.");
        var segment = KvSegment.Allocate(metadata.LayerCount, metadata.KvHeads, metadata.HeadDim, type, positions);
        var filling = new FillingHistory(segment, metadata.LayerCount, recompute);
        filling.Completion = Task.Run(() => filling.Fill(load, kept, positions, rotary, type));
        return filling;
    }

    private async Task<bool> Fill(KvLayerwiseLoad load, IReadOnlyList<RowRange> kept, IReadOnlyList<int> positions, RotaryRotation rotary, KvDataType type)
    {
        var metadata = load.Metadata;
        var (cos, sin) = rotary.Table([.. Enumerable.Repeat(RotaryRotation.Unrotated, positions.Count)], [.. positions]);
        long row = metadata.RowBytes;
        var scratch = new float[rotary.KvHeads * rotary.HeadDim];
        for (int layer = 0; layer < _layers.Length; layer++)
        {
            bool ok;
            try
            {
                ok = await load.WaitForLayerAsync(layer, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                ok = false;
            }
            if (!ok)
            {
                for (int l = layer; l < _layers.Length; l++) _layers[l].TrySetResult(false);
                return false;
            }
            CopyLayer(load.GetLayer(layer), metadata.TokenCount, layer, kept, row, rotary, type, cos, sin, scratch);
            _layers[layer].TrySetResult(true);
        }
        return true;
    }

    // Keys: copy a block of rows and rotate it while it is still in cache (one pass over memory); values: copy.
    private void CopyLayer(ReadOnlySpan<byte> source, int storedRows, int layer, IReadOnlyList<RowRange> kept, long row,
        RotaryRotation rotary, KvDataType type, float[] cos, float[] sin, float[] scratch)
    {
        var keys = Segment.GetWritableKeys(layer);
        var values = Segment.GetWritableValues(layer);
        int at = 0;
        foreach (var range in kept)
        {
            for (int done = 0; done < range.Count; done += RowsPerBlock)
            {
                int n = Math.Min(RowsPerBlock, range.Count - done);
                var block = keys.Slice((int)((at + done) * row), (int)(n * row));
                source.Slice((int)((range.Start + done) * row), block.Length).CopyTo(block);
                rotary.Rotate(block, n, type, cos, sin, at + done, scratch);
            }
            int bytes = checked((int)(range.Count * row));
            source.Slice((int)((storedRows + range.Start) * row), bytes).CopyTo(values.Slice((int)(at * row), bytes));
            at += range.Count;
        }
    }

    // The forward's wait before attending to `layer`. A failed layer means the stored entry cannot be trusted:
    // the history is recomputed once (every layer), and the forward continues with it.
    private void WaitForLayer(int layer, CancellationToken ct)
    {
        if (_layers[layer].Task.WaitAsync(ct).GetAwaiter().GetResult()) return;
        lock (_recomputeGate)
        {
            if (_recomputed) return;
            Segment.SetLayerGate(null); // the recompute writes the segment; its own forward must not wait on it
            RecomputedTokens = _recompute(Segment, ct);
            _recomputed = true;
        }
    }

    /// <summary>Stops the fill (if still running) and frees the segment.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            Completion.Wait();
        }
        catch (AggregateException)
        {
            // A failed fill was already handled by the gate or is moot now.
        }
        Segment.Dispose();
        _stop.Dispose();
    }
}
