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
/// keys rotated to their (possibly shifted) positions, values copied. On a disk load, layer l is converted
/// as soon as its CRC passed, while later layers are still being read.
/// </summary>
internal static class SessionMaterializer
{
    // 32 rows of a 768-wide f32 key are 96 KiB: the block is rotated while it is still in L2.
    private const int RowsPerBlock = 32;

    /// <summary>Builds the history segment; null when the load failed part-way (the caller recomputes).</summary>
    public static KvSegment? Materialize(KvLayerwiseLoad load, IReadOnlyList<RowRange> kept, IReadOnlyList<int> positions,
        RotaryRotation rotary, KvDataType type, CancellationToken ct)
    {
        var metadata = load.Metadata;
        int count = kept.Sum(r => r.Count);
        if (count != positions.Count) throw new InvalidOperationException($"Session: {count} kept rows but {positions.Count} positions.");
        var (cos, sin) = rotary.Table([.. Enumerable.Repeat(RotaryRotation.Unrotated, count)], [.. positions]);
        long row = metadata.RowBytes;
        var buffer = new byte[checked(2 * count * row)];
        var scratch = new float[rotary.KvHeads * rotary.HeadDim];
        try
        {
            return KvSegment.FromLayers(metadata.LayerCount, metadata.KvHeads, metadata.HeadDim, type, positions, layer =>
            {
                ct.ThrowIfCancellationRequested();
                // Blocking is fine here: this runs on a worker thread of its own, and the wait is the disk read
                // that the conversion of the previous layer overlapped.
                if (!load.WaitForLayerAsync(layer, ct).AsTask().GetAwaiter().GetResult()) throw new SessionLoadFailedException();
                var source = load.GetLayer(layer);
                int at = 0;
                foreach (var range in kept)
                {
                    // Keys: copy a block of rows and rotate it while it is still in cache (one pass over memory).
                    for (int done = 0; done < range.Count; done += RowsPerBlock)
                    {
                        int n = Math.Min(RowsPerBlock, range.Count - done);
                        var keys = buffer.AsSpan((int)((at + done) * row), (int)(n * row));
                        source.Slice((int)((range.Start + done) * row), keys.Length).CopyTo(keys);
                        rotary.Rotate(keys, n, type, cos, sin, at + done, scratch);
                    }
                    int bytes = checked((int)(range.Count * row));
                    source.Slice((int)((metadata.TokenCount + range.Start) * row), bytes).CopyTo(buffer.AsSpan((int)((count + at) * row), bytes));
                    at += range.Count;
                }
                return buffer;
            });
        }
        catch (SessionLoadFailedException)
        {
            return null;
        }
    }

    private sealed class SessionLoadFailedException : Exception;
}
