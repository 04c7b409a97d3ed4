using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using PromptCache.Runtime.Caching.Keys;

namespace PromptCache.Runtime.Caching.Persistence;

/// <summary>
/// Reads and verifies one cache file. Opening checks magic, version, header CRC, the key, the exact
/// file length and the trailer; each layer read checks that layer's CRC. Nothing here throws for a
/// bad file: every check answers with a <see cref="KvFileProblem"/> and a detail string.
/// </summary>
internal sealed class KvFileReader : IDisposable
{
    private const int ChunkBytes = 8 << 20;

    private readonly SafeFileHandle _handle;
    private readonly uint[] _layerCrcs;

    private KvFileReader(SafeFileHandle handle, KvFileHeader header, uint[] layerCrcs)
    {
        _handle = handle;
        Header = header;
        _layerCrcs = layerCrcs;
    }

    public KvFileHeader Header { get; }

    /// <summary>Reads only the header and checks the file length: the cheap start-up scan.</summary>
    public static KvFileProblem TryReadHeader(string path, out KvFileHeader? header, out string detail)
    {
        header = null;
        try
        {
            using var handle = OpenRead(path);
            return ReadHeader(handle, out header, out detail);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            detail = "the file no longer exists";
            return KvFileProblem.Missing;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            detail = e.Message;
            return KvFileProblem.IoError;
        }
    }

    /// <summary>Opens <paramref name="path"/> and verifies everything but the layer bytes.</summary>
    public static KvFileProblem TryOpen(string path, KvCacheKey expectedKey, out KvFileReader? reader, out string detail)
    {
        reader = null;
        SafeFileHandle? handle = null;
        try
        {
            handle = OpenRead(path);
            var problem = ReadHeader(handle, out var header, out detail);
            if (problem != KvFileProblem.None)
            {
                return problem;
            }

            if (header!.Key != expectedKey)
            {
                detail = $"header key {header.Key} is not the requested {expectedKey}";
                return KvFileProblem.KeyMismatch;
            }

            byte[] trailer = new byte[header.TrailerLength];
            if (ReadFully(handle, trailer, header.TrailerOffset) != trailer.Length)
            {
                detail = "the file ends inside its trailer";
                return KvFileProblem.LengthMismatch;
            }

            int layers = header.Metadata.LayerCount;
            int table = 4 * layers;
            uint storedTableCrc = BinaryPrimitives.ReadUInt32LittleEndian(trailer.AsSpan(table));
            if (!trailer.AsSpan(table + 4).SequenceEqual(KvFileFormat.EndMagic) || Crc32C.Compute(trailer.AsSpan(0, table)) != storedTableCrc)
            {
                detail = "the layer checksum table or end magic is damaged";
                return KvFileProblem.TrailerChecksum;
            }

            uint[] crcs = new uint[layers];
            for (int i = 0; i < layers; i++)
            {
                crcs[i] = BinaryPrimitives.ReadUInt32LittleEndian(trailer.AsSpan(4 * i));
            }

            reader = new KvFileReader(handle, header, crcs);
            handle = null;
            return KvFileProblem.None;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            detail = "the file no longer exists";
            return KvFileProblem.Missing;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            detail = e.Message;
            return KvFileProblem.IoError;
        }
        finally
        {
            handle?.Dispose();
        }
    }

    /// <summary>Reads layer <paramref name="layer"/> into <paramref name="destination"/> and checks its CRC.</summary>
    /// <exception cref="OperationCanceledException">Cancelled between chunks.</exception>
    public KvFileProblem ReadLayer(int layer, Span<byte> destination, CancellationToken cancellationToken, out string detail)
    {
        var metadata = Header.Metadata;
        if (destination.Length != metadata.LayerBytes)
        {
            throw new ArgumentException($"Layer destination must be exactly {metadata.LayerBytes} bytes; got {destination.Length}.", nameof(destination));
        }

        try
        {
            long offset = Header.LayerFileOffset(layer);
            uint crc = 0;
            for (int at = 0; at < destination.Length; at += ChunkBytes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var chunk = destination.Slice(at, Math.Min(ChunkBytes, destination.Length - at));
                if (ReadFully(_handle, chunk, offset + at) != chunk.Length)
                {
                    detail = $"the file ends inside layer {layer}";
                    return KvFileProblem.LengthMismatch;
                }

                crc = Crc32C.Append(crc, chunk);
            }

            if (crc != _layerCrcs[layer])
            {
                detail = $"layer {layer} CRC-32C is {crc:x8}, file says {_layerCrcs[layer]:x8}";
                return KvFileProblem.PayloadChecksum;
            }

            detail = "";
            return KvFileProblem.None;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            detail = e.Message;
            return KvFileProblem.IoError;
        }
    }

    public void Dispose() => _handle.Dispose();

    private static SafeFileHandle OpenRead(string path) =>

        // FileShare.Delete: eviction may unlink or replace the file while a reader still has it open.
        File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);

    private static KvFileProblem ReadHeader(SafeFileHandle handle, out KvFileHeader? header, out string detail)
    {
        header = null;
        long fileLength = RandomAccess.GetLength(handle);
        Span<byte> fixedPart = stackalloc byte[KvFileFormat.FixedHeaderBytes];
        int got = ReadFully(handle, fixedPart, 0);
        var problem = KvFileFormat.PeekHeaderLength(fixedPart[..got], out int headerLength);
        if (problem != KvFileProblem.None)
        {
            return KvFileFormat.DecodeHeader(fixedPart[..got], out header, out detail);
        }

        byte[] bytes = new byte[headerLength];
        got = ReadFully(handle, bytes, 0);
        problem = KvFileFormat.DecodeHeader(bytes.AsSpan(0, got), out header, out detail);
        if (problem != KvFileProblem.None)
        {
            return problem;
        }

        if (fileLength != header!.FileLength)
        {
            detail = $"file is {fileLength} bytes, header says {header.FileLength}";
            header = null;
            return KvFileProblem.LengthMismatch;
        }

        return KvFileProblem.None;
    }

    private static int ReadFully(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = RandomAccess.Read(handle, buffer[total..], offset + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}
