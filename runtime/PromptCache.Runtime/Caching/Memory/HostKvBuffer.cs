using PromptCache.Runtime.Caching.Entries;

namespace PromptCache.Runtime.Caching.Memory;

/// <summary>A resident payload in native host memory, readable in place.</summary>
internal sealed unsafe class HostKvBuffer : IKvResidentBuffer, IKvHostBlob
{
    private readonly NativeMemoryHandle _memory;

    public HostKvBuffer(KvEntryMetadata metadata)
    {
        Metadata = metadata;
        _memory = new NativeMemoryHandle(metadata.PayloadBytes);
    }

    public KvEntryMetadata Metadata { get; }

    public long SizeInBytes => Metadata.PayloadBytes;

    public ReadOnlySpan<byte> GetLayer(int layer) => GetWritableLayer(layer);

    /// <summary>Layer <paramref name="layer"/> as a writable span: the disk loader reads straight into it.</summary>
    public Span<byte> GetWritableLayer(int layer)
    {
        ObjectDisposedException.ThrowIf(_memory.IsClosed, this);
        long offset = Metadata.LayerOffset(layer);
        return new Span<byte>(_memory.Pointer + offset, (int)Metadata.LayerBytes);
    }

    public void CopyLayerTo(int layer, Span<byte> destination) => KvBlobCopy.CopyExact(GetLayer(layer), destination);

    public void WriteLayer(int layer, ReadOnlySpan<byte> source)
    {
        var target = GetWritableLayer(layer);
        if (source.Length != target.Length)
        {
            throw new ArgumentException($"Layer source must be exactly {target.Length} bytes; got {source.Length}.", nameof(source));
        }

        source.CopyTo(target);
    }

    public void Dispose() => _memory.Dispose();
}
