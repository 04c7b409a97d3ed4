namespace PromptCache.Runtime.Caching.Entries;

/// <summary>
/// The store's view of any K/V payload: its description plus a way to copy one layer out. The
/// engine's own segment type (native, per-layer contiguous) adapts to this in a few lines; device
/// memory can implement it with a device-to-host copy.
/// </summary>
public interface IKvBlob
{
    /// <summary>Shape and positions of the payload.</summary>
    KvEntryMetadata Metadata { get; }

    /// <summary>
    /// Copies layer <paramref name="layer"/> (<see cref="KvEntryMetadata.LayerBytes"/> bytes, K rows
    /// then V rows) into <paramref name="destination"/>, which must be exactly that long.
    /// </summary>
    void CopyLayerTo(int layer, Span<byte> destination);
}

/// <summary>A payload already in host memory, readable without a copy.</summary>
public interface IKvHostBlob : IKvBlob
{
    /// <summary>Layer <paramref name="layer"/> in place (valid while the owner is alive).</summary>
    ReadOnlySpan<byte> GetLayer(int layer);
}
