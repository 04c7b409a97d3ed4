using System.Buffers.Binary;
using System.Text;
using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Keys;

namespace PromptCache.Runtime.Caching.Persistence;

/// <summary>
/// The on-disk layout of one cache entry (version 1, little-endian; Caching/README.md has the table).
/// <code>
/// header  : fixed 96 bytes, position runs (8 bytes each), UTF-8 label, zero padding,
///           CRC-32C of everything before it (4 bytes); total a multiple of 64
/// payload : layers × LayerBytes, layout [layer][K|V][token][kv_heads*head_dim]
/// trailer : CRC-32C per layer (4 bytes each), CRC-32C of that table (4), end magic "PCKVEND\n" (8)
/// </code>
/// Per-layer checksums let a layer-wise loader verify and release each layer as soon as it lands.
/// </summary>
public static class KvFileFormat
{
    /// <summary>Current format version; readers reject any other.</summary>
    public const ushort Version = 1;

    /// <summary>File name extension of complete entries.</summary>
    public const string Extension = ".kv";

    /// <summary>File name extension of in-progress writes (never read; deleted at start-up).</summary>
    public const string TempExtension = ".tmp";

    /// <summary>Bytes of the fixed part of the header.</summary>
    public const int FixedHeaderBytes = 96;

    /// <summary>The payload starts at a multiple of this.</summary>
    public const int HeaderAlignment = 64;

    /// <summary>Upper bound on position runs accepted from a file (guards allocation on a damaged header).</summary>
    public const int MaxPositionRuns = 1 << 20;

    private const int MaxHeaderBytes = FixedHeaderBytes + (8 * MaxPositionRuns) + KvEntryMetadata.MaxLabelBytes + HeaderAlignment + 4;

    /// <summary>"PCKVSTOR" — the first eight bytes of every cache file.</summary>
    public static ReadOnlySpan<byte> Magic => "PCKVSTOR"u8;

    /// <summary>"PCKVEND\n" — the last eight bytes of every cache file.</summary>
    public static ReadOnlySpan<byte> EndMagic => "PCKVEND\n"u8;

    /// <summary>The file name of an entry: 64 hex digits plus <see cref="Extension"/>.</summary>
    public static string FileName(KvCacheKey key) => key.ToString() + Extension;

    /// <summary>Header bytes for an entry with this metadata.</summary>
    public static int HeaderLength(KvEntryMetadata metadata) =>
        AlignUp(FixedHeaderBytes + (8 * metadata.Positions.Count) + Encoding.UTF8.GetByteCount(metadata.Label) + 4);

    /// <summary>Trailer bytes for <paramref name="layerCount"/> layers.</summary>
    public static int TrailerLength(int layerCount) => (4 * layerCount) + 4 + 8;

    /// <summary>Header plus trailer: the per-file overhead on top of the payload.</summary>
    public static long OverheadBytes(KvEntryMetadata metadata) => HeaderLength(metadata) + TrailerLength(metadata.LayerCount);

    /// <summary>Encodes the header (including its CRC) for <paramref name="key"/> and <paramref name="metadata"/>.</summary>
    public static byte[] EncodeHeader(KvCacheKey key, KvEntryMetadata metadata, long createdUnixMilliseconds)
    {
        int length = HeaderLength(metadata);
        byte[] header = new byte[length];
        var span = header.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[8..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], length);
        key.CopyTo(span[16..]);
        span[48] = (byte)metadata.Kind;
        span[49] = (byte)metadata.ElementType;
        span[50] = metadata.RopeApplied ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32LittleEndian(span[52..], metadata.LayerCount);
        BinaryPrimitives.WriteInt32LittleEndian(span[56..], metadata.KvHeads);
        BinaryPrimitives.WriteInt32LittleEndian(span[60..], metadata.HeadDim);
        BinaryPrimitives.WriteInt32LittleEndian(span[64..], metadata.TokenCount);
        BinaryPrimitives.WriteInt32LittleEndian(span[68..], metadata.Positions.Count);
        BinaryPrimitives.WriteInt64LittleEndian(span[72..], metadata.PayloadBytes);
        BinaryPrimitives.WriteInt64LittleEndian(span[80..], createdUnixMilliseconds);
        int labelBytes = Encoding.UTF8.GetBytes(metadata.Label, span[(FixedHeaderBytes + (8 * metadata.Positions.Count))..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[88..], labelBytes);

        int offset = FixedHeaderBytes;
        foreach (var run in metadata.Positions)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[offset..], run.Start);
            BinaryPrimitives.WriteInt32LittleEndian(span[(offset + 4)..], run.Count);
            offset += 8;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(span[(length - 4)..], Crc32C.Compute(span[..(length - 4)]));
        return header;
    }

    /// <summary>
    /// Reads the total header length from the fixed part, after checking magic and version. Lets a
    /// reader fetch the fixed 96 bytes first and then exactly the rest.
    /// </summary>
    public static KvFileProblem PeekHeaderLength(ReadOnlySpan<byte> fixedPart, out int headerLength)
    {
        headerLength = 0;
        if (fixedPart.Length < FixedHeaderBytes)
        {
            return KvFileProblem.LengthMismatch;
        }

        if (!fixedPart[..8].SequenceEqual(Magic))
        {
            return KvFileProblem.BadMagic;
        }

        if (BinaryPrimitives.ReadUInt16LittleEndian(fixedPart[8..]) != Version)
        {
            return KvFileProblem.UnsupportedVersion;
        }

        headerLength = BinaryPrimitives.ReadInt32LittleEndian(fixedPart[12..]);
        if (headerLength < FixedHeaderBytes + 4 || headerLength > MaxHeaderBytes || headerLength % HeaderAlignment != 0)
        {
            return KvFileProblem.BadHeader;
        }

        return KvFileProblem.None;
    }

    /// <summary>Decodes and validates a complete header (magic, version, CRC, fields).</summary>
    public static KvFileProblem DecodeHeader(ReadOnlySpan<byte> header, out KvFileHeader? decoded, out string detail)
    {
        decoded = null;
        detail = "";
        var problem = PeekHeaderLength(header, out int length);
        if (problem != KvFileProblem.None)
        {
            detail = problem switch
            {
                KvFileProblem.BadMagic => "the file does not start with the PCKVSTOR magic",
                KvFileProblem.UnsupportedVersion => $"format version {BinaryPrimitives.ReadUInt16LittleEndian(header[8..])} (this build reads {Version})",
                KvFileProblem.LengthMismatch => "the file is shorter than a header",
                _ => $"header length {BinaryPrimitives.ReadInt32LittleEndian(header[12..])} is not plausible",
            };
            return problem;
        }

        if (header.Length < length)
        {
            detail = $"the file ends inside its {length}-byte header";
            return KvFileProblem.LengthMismatch;
        }

        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(header[(length - 4)..]);
        uint actual = Crc32C.Compute(header[..(length - 4)]);
        if (stored != actual)
        {
            detail = $"header CRC-32C is {actual:x8}, file says {stored:x8}";
            return KvFileProblem.HeaderChecksum;
        }

        try
        {
            var key = new KvCacheKey(header.Slice(16, KvCacheKey.SizeInBytes));
            int runCount = BinaryPrimitives.ReadInt32LittleEndian(header[68..]);
            int labelBytes = BinaryPrimitives.ReadInt32LittleEndian(header[88..]);
            if (runCount < 0 || runCount > MaxPositionRuns || labelBytes < 0 || labelBytes > KvEntryMetadata.MaxLabelBytes ||
                FixedHeaderBytes + (8L * runCount) + labelBytes + 4 > length)
            {
                detail = $"{runCount} position runs and a {labelBytes}-byte label do not fit a {length}-byte header";
                return KvFileProblem.BadHeader;
            }

            var runs = new KvPositionRun[runCount];
            for (int i = 0; i < runCount; i++)
            {
                int at = FixedHeaderBytes + (8 * i);
                runs[i] = new KvPositionRun(BinaryPrimitives.ReadInt32LittleEndian(header[at..]), BinaryPrimitives.ReadInt32LittleEndian(header[(at + 4)..]));
            }

            string label = Encoding.UTF8.GetString(header.Slice(FixedHeaderBytes + (8 * runCount), labelBytes));
            var metadata = new KvEntryMetadata(
                (KvEntryKind)header[48],
                (KvElementType)header[49],
                BinaryPrimitives.ReadInt32LittleEndian(header[52..]),
                BinaryPrimitives.ReadInt32LittleEndian(header[56..]),
                BinaryPrimitives.ReadInt32LittleEndian(header[60..]),
                BinaryPrimitives.ReadInt32LittleEndian(header[64..]),
                runs,
                header[50] == 1,
                label);

            long payload = BinaryPrimitives.ReadInt64LittleEndian(header[72..]);
            if (payload != metadata.PayloadBytes)
            {
                detail = $"payload length {payload} does not match the shape ({metadata.PayloadBytes} bytes)";
                return KvFileProblem.BadHeader;
            }

            decoded = new KvFileHeader(key, metadata, length, BinaryPrimitives.ReadInt64LittleEndian(header[80..]));
            return KvFileProblem.None;
        }
        catch (ArgumentException e)
        {
            detail = e.Message;
            return KvFileProblem.BadHeader;
        }
    }

    private static int AlignUp(int value) => (value + HeaderAlignment - 1) / HeaderAlignment * HeaderAlignment;
}
