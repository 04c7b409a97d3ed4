using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace PromptCache.Runtime.Caching.Keys;

/// <summary>
/// Feeds tagged, length-prefixed fields into SHA-256 so that no two different field lists can
/// produce the same byte stream ("ab"+"c" never collides with "a"+"bc").
/// </summary>
internal sealed class KvKeyHasher : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public KvKeyHasher(string domain) => Add(0, domain);

    public KvKeyHasher Add(byte tag, string? value)
    {
        Span<byte> prefix = stackalloc byte[6];
        if (value is null)
        {
            // A distinct marker so "absent" never equals "empty".
            prefix[0] = tag;
            prefix[1] = 0;
            BinaryPrimitives.WriteInt32LittleEndian(prefix[2..], -1);
            _hash.AppendData(prefix);
            return this;
        }

        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        prefix[0] = tag;
        prefix[1] = 1;
        BinaryPrimitives.WriteInt32LittleEndian(prefix[2..], utf8.Length);
        _hash.AppendData(prefix);
        _hash.AppendData(utf8);
        return this;
    }

    public KvCacheKey Finish()
    {
        Span<byte> digest = stackalloc byte[KvCacheKey.SizeInBytes];
        _hash.GetHashAndReset(digest);
        return new KvCacheKey(digest);
    }

    public void Dispose() => _hash.Dispose();
}
