using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Store;
using PromptCache.Runtime.Inference;

namespace PromptCache.Engine.Caching;

/// <summary>
/// Moves a <see cref="KvSegment"/> to and from the store's entries: the same per-layer layout (K rows
/// of every token, then V rows), described by module metadata whose position runs are the segment's.
/// </summary>
internal static class KvSegmentBytes
{
    /// <summary>The store's element type of a segment's data type.</summary>
    public static KvElementType ElementType(KvDataType type) => type switch
    {
        KvDataType.F32 => KvElementType.F32,
        KvDataType.F16 => KvElementType.F16,
        _ => KvElementType.BF16,
    };

    /// <summary>The segment's data type of a store element type.</summary>
    public static KvDataType DataType(KvElementType type) => type switch
    {
        KvElementType.F32 => KvDataType.F32,
        KvElementType.F16 => KvDataType.F16,
        _ => KvDataType.BF16,
    };

    /// <summary>Describes <paramref name="segment"/> as a module entry (keys with RoPE applied).</summary>
    public static KvEntryMetadata Describe(KvSegment segment, string label)
    {
        var runs = new List<KvPositionRun>();
        var positions = segment.Positions;
        for (int i = 0; i < positions.Count;)
        {
            int j = i + 1;
            while (j < positions.Count && positions[j] == positions[j - 1] + 1) j++;
            runs.Add(new KvPositionRun(positions[i], j - i));
            i = j;
        }
        return new KvEntryMetadata(KvEntryKind.Module, ElementType(segment.DataType), segment.LayerCount, segment.KvHeadCount,
            segment.HeadDim, segment.Count, runs, ropeApplied: true, label);
    }

    /// <summary>
    /// A read-only segment over a resident store entry, without a copy: the lease keeps the bytes
    /// alive and is released with the segment. Falls back to a copy when the entry is not in host memory.
    /// </summary>
    public static KvSegment Borrow(KvLease lease) => Borrow(lease, null, out _);

    /// <summary>
    /// <see cref="Borrow(KvLease)"/>, with the entry's host bytes page-locked by <paramref name="pinWith"/>
    /// (<see cref="IComputeBackend.PinHostMemory"/>) for as long as the segment lives, so a GPU backend loads
    /// them asynchronously, layer by layer. <paramref name="pinned"/> says whether that happened (false: no
    /// backend given, the entry is not in host memory, or the backend declined).
    /// </summary>
    public static unsafe KvSegment Borrow(KvLease lease, IComputeBackend? pinWith, out bool pinned)
    {
        pinned = false;
        var metadata = lease.Metadata;
        if (!lease.IsHostResident)
        {
            using (lease) return Create(metadata, lease.CopyLayerTo);
        }
        var layers = new nint[metadata.LayerCount];
        for (int l = 0; l < layers.Length; l++)
        {
            // The store's host buffers are native memory (never moved by the GC), so the address outlives the fixed block.
            fixed (byte* p = lease.GetLayer(l)) layers[l] = (nint)p;
        }
        IDisposable owner = lease;
        if (pinWith is not null && HostPins.TryPin(pinWith, layers, metadata.LayerBytes) is { } pins)
        {
            owner = new PinnedLease(pins, lease);
            pinned = true;
        }
        return KvSegment.Borrow(metadata.LayerCount, metadata.KvHeads, metadata.HeadDim, DataType(metadata.ElementType), Positions(metadata),
            l => layers[l], owner);
    }

    // Releases the page-lock before the lease can free the pages.
    private sealed class PinnedLease(IDisposable pins, KvLease lease) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                pins.Dispose();
            }
            finally
            {
                lease.Dispose();
            }
        }
    }

    private static List<int> Positions(KvEntryMetadata metadata)
    {
        var positions = new List<int>(metadata.TokenCount);
        foreach (var run in metadata.Positions) positions.AddRange(Enumerable.Range(run.Start, run.Count));
        return positions;
    }

    /// <summary>Builds a segment from a stored entry, layer by layer.</summary>
    public static KvSegment Create(KvEntryMetadata metadata, Action<int, Span<byte>> copyLayer)
    {
        var positions = Positions(metadata);
        var buffer = new byte[checked((int)metadata.LayerBytes)];
        return KvSegment.FromLayers(metadata.LayerCount, metadata.KvHeads, metadata.HeadDim, DataType(metadata.ElementType), positions, layer =>
        {
            copyLayer(layer, buffer);
            return buffer;
        });
    }
}

/// <summary>A segment seen by the store as a blob (the store copies it; the engine keeps the segment).</summary>
internal sealed class SegmentBlob(KvSegment segment, string label) : IKvBlob
{
    public KvEntryMetadata Metadata { get; } = KvSegmentBytes.Describe(segment, label);

    public void CopyLayerTo(int layer, Span<byte> destination) => segment.CopyLayerTo(layer, destination);
}
