using System.Buffers.Binary;

namespace PromptCache.Runtime.Caching.Keys;

/// <summary>
/// The identity of one cached K/V entry: a SHA-256 digest over everything that determines the bytes
/// (model weights, tokenizer, schema content, module path, scaffold variant, K/V dtype, tenant salt).
/// Two keys are equal exactly when their digests are; <see cref="ToString"/> gives 64 lowercase hex
/// digits, stable across processes and usable as a file name.
/// </summary>
public readonly struct KvCacheKey : IEquatable<KvCacheKey>
{
    /// <summary>Digest length in bytes.</summary>
    public const int SizeInBytes = 32;

    // Four words instead of a byte[] so the key is a cheap, allocation-free dictionary key.
    private readonly ulong _w0, _w1, _w2, _w3;

    /// <summary>Wraps a 32-byte digest.</summary>
    /// <exception cref="ArgumentException">The digest is not exactly 32 bytes.</exception>
    public KvCacheKey(ReadOnlySpan<byte> digest)
    {
        if (digest.Length != SizeInBytes)
        {
            throw new ArgumentException($"A cache key digest is {SizeInBytes} bytes; got {digest.Length}.", nameof(digest));
        }

        _w0 = BinaryPrimitives.ReadUInt64BigEndian(digest);
        _w1 = BinaryPrimitives.ReadUInt64BigEndian(digest[8..]);
        _w2 = BinaryPrimitives.ReadUInt64BigEndian(digest[16..]);
        _w3 = BinaryPrimitives.ReadUInt64BigEndian(digest[24..]);
    }

    /// <summary>True for the default (all-zero) value, which no real digest produces in practice.</summary>
    public bool IsEmpty => (_w0 | _w1 | _w2 | _w3) == 0;

    /// <summary>Writes the 32 digest bytes into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination)
    {
        if (destination.Length < SizeInBytes)
        {
            throw new ArgumentException($"Need {SizeInBytes} bytes to write a cache key; got {destination.Length}.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _w0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _w1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _w2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _w3);
    }

    /// <summary>Parses the 64-hex-digit form produced by <see cref="ToString"/>.</summary>
    public static bool TryParse(ReadOnlySpan<char> hex, out KvCacheKey key)
    {
        key = default;
        if (hex.Length != SizeInBytes * 2)
        {
            return false;
        }

        Span<byte> digest = stackalloc byte[SizeInBytes];
        try
        {
            if (Convert.FromHexString(hex, digest, out _, out int written) != System.Buffers.OperationStatus.Done || written != SizeInBytes)
            {
                return false;
            }
        }
        catch (FormatException)
        {
            return false;
        }

        key = new KvCacheKey(digest);
        return true;
    }

    /// <summary>64 lowercase hex digits.</summary>
    public override string ToString()
    {
        Span<byte> digest = stackalloc byte[SizeInBytes];
        CopyTo(digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <inheritdoc />
    public bool Equals(KvCacheKey other) => _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is KvCacheKey other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => (int)_w0 ^ (int)(_w0 >> 32);

    /// <summary>Digest equality.</summary>
    public static bool operator ==(KvCacheKey left, KvCacheKey right) => left.Equals(right);

    /// <summary>Digest inequality.</summary>
    public static bool operator !=(KvCacheKey left, KvCacheKey right) => !left.Equals(right);
}
