using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Keys;

namespace PromptCache.Runtime.Caching.Persistence;

/// <summary>What a cache file's header says (validated: magic, version, header CRC, sane fields).</summary>
/// <param name="Key">The entry's key.</param>
/// <param name="Metadata">The payload description.</param>
/// <param name="HeaderLength">Bytes before the payload (a multiple of 64).</param>
/// <param name="CreatedUnixMilliseconds">When the file was written.</param>
public sealed record KvFileHeader(KvCacheKey Key, KvEntryMetadata Metadata, int HeaderLength, long CreatedUnixMilliseconds)
{
    /// <summary>Bytes after the payload: layer CRC table, its CRC, end magic.</summary>
    public int TrailerLength => KvFileFormat.TrailerLength(Metadata.LayerCount);

    /// <summary>The exact length the file must have.</summary>
    public long FileLength => HeaderLength + Metadata.PayloadBytes + TrailerLength;

    /// <summary>Where layer <paramref name="layer"/> starts in the file.</summary>
    public long LayerFileOffset(int layer) => HeaderLength + Metadata.LayerOffset(layer);

    /// <summary>Where the trailer starts in the file.</summary>
    public long TrailerOffset => HeaderLength + Metadata.PayloadBytes;
}
