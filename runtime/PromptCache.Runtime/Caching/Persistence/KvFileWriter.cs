using System.Buffers.Binary;
using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Keys;

namespace PromptCache.Runtime.Caching.Persistence;

/// <summary>
/// Writes one entry to a temporary file and forces it to stable storage. Publishing it (the rename
/// onto the final name) is the store's job, so that a crash at any point leaves either no entry or a
/// complete one, never a torn file under a real name.
/// </summary>
internal static class KvFileWriter
{
    // Chunking keeps cancellation responsive on multi-hundred-megabyte layers.
    private const int ChunkBytes = 8 << 20;

    /// <summary>Writes and fsyncs <paramref name="tempPath"/>; returns the file length. Deletes the temp file on failure.</summary>
    public static long WriteTemp(string tempPath, KvCacheKey key, IKvBlob blob, CancellationToken cancellationToken)
    {
        var metadata = blob.Metadata;
        byte[] header = KvFileFormat.EncodeHeader(key, metadata, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        long total = header.Length + metadata.PayloadBytes + KvFileFormat.TrailerLength(metadata.LayerCount);
        byte[]? staging = blob is IKvHostBlob ? null : new byte[metadata.LayerBytes];
        byte[] trailer = new byte[KvFileFormat.TrailerLength(metadata.LayerCount)];
        try
        {
            using (var stream = new FileStream(tempPath, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                BufferSize = 0,
                PreallocationSize = total,
            }))
            {
                stream.Write(header);
                for (int layer = 0; layer < metadata.LayerCount; layer++)
                {
                    ReadOnlySpan<byte> bytes;
                    if (blob is IKvHostBlob host)
                    {
                        bytes = host.GetLayer(layer);
                    }
                    else
                    {
                        blob.CopyLayerTo(layer, staging);
                        bytes = staging;
                    }

                    uint crc = 0;
                    for (int at = 0; at < bytes.Length; at += ChunkBytes)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var chunk = bytes.Slice(at, Math.Min(ChunkBytes, bytes.Length - at));
                        crc = Crc32C.Append(crc, chunk);
                        stream.Write(chunk);
                    }

                    BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(4 * layer), crc);
                }

                int table = 4 * metadata.LayerCount;
                BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(table), Crc32C.Compute(trailer.AsSpan(0, table)));
                KvFileFormat.EndMagic.CopyTo(trailer.AsSpan(table + 4));
                stream.Write(trailer);

                // fsync: the rename that publishes this file must never overtake its contents.
                stream.Flush(flushToDisk: true);
            }

            return total;
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left behind: the next start-up scan removes stale temp files.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }
}
