namespace PromptCache.Runtime.Caching.Entries;

/// <summary>A payload held in one managed array (tests, small entries, adapters that already have bytes).</summary>
public sealed class KvArrayBlob : IKvHostBlob
{
    private readonly byte[] _payload;

    /// <summary>Wraps <paramref name="payload"/> (not copied), which must be exactly <see cref="KvEntryMetadata.PayloadBytes"/> long.</summary>
    /// <exception cref="ArgumentException">The payload length does not match the metadata.</exception>
    public KvArrayBlob(KvEntryMetadata metadata, byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.LongLength != metadata.PayloadBytes)
        {
            throw new ArgumentException($"Payload is {payload.LongLength} bytes but the metadata ({metadata}) needs {metadata.PayloadBytes}.", nameof(payload));
        }

        Metadata = metadata;
        _payload = payload;
    }

    /// <inheritdoc />
    public KvEntryMetadata Metadata { get; }

    /// <inheritdoc />
    public ReadOnlySpan<byte> GetLayer(int layer) =>
        _payload.AsSpan((int)Metadata.LayerOffset(layer), (int)Metadata.LayerBytes);

    /// <inheritdoc />
    public void CopyLayerTo(int layer, Span<byte> destination) => KvBlobCopy.CopyExact(GetLayer(layer), destination);
}

/// <summary>Shared copy helper that insists on exact lengths (a short destination is a caller bug, not a truncation).</summary>
internal static class KvBlobCopy
{
    public static void CopyExact(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (destination.Length != source.Length)
        {
            throw new ArgumentException($"Layer destination must be exactly {source.Length} bytes; got {destination.Length}.", nameof(destination));
        }

        source.CopyTo(destination);
    }
}
