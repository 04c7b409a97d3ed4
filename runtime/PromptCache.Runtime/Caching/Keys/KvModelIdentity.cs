using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PromptCache.Runtime.Caching.Keys;

/// <summary>
/// A cheap fingerprint of model files for <see cref="KvModuleKeyParts.ModelIdentity"/>: per file its
/// name, length and a SHA-256 over up to three 1 MiB windows (start, middle, end). Hashing a
/// multi-gigabyte checkpoint in full at every start-up would cost seconds; the windows catch a
/// different export, dtype, shard layout or fine-tune header while staying in the millisecond range.
/// Callers with a stronger identity (a registry digest, a full hash computed once) can pass their
/// own string instead.
/// </summary>
public static class KvModelIdentity
{
    private const int WindowBytes = 1 << 20;

    /// <summary>Fingerprints the given files (order-independent: they are sorted by file name).</summary>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    public static string FromFiles(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var sorted = paths.OrderBy(p => Path.GetFileName(p), StringComparer.Ordinal).ToList();
        if (sorted.Count == 0)
        {
            throw new ArgumentException("At least one model file is needed to fingerprint a model.", nameof(paths));
        }

        var builder = new StringBuilder("files-v1");
        foreach (string path in sorted)
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new FileNotFoundException($"Model file '{path}' does not exist; cannot fingerprint it for the cache key.", path);
            }

            builder.Append(';').Append(info.Name).Append(':')
                   .Append(info.Length.ToString(CultureInfo.InvariantCulture)).Append(':')
                   .Append(HashWindows(path, info.Length));
        }

        return builder.ToString();
    }

    private static string HashWindows(string path, long length)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.RandomAccess);
        byte[] window = new byte[WindowBytes];
        foreach (long offset in new[] { 0L, Math.Max(0, (length / 2) - (WindowBytes / 2)), Math.Max(0, length - WindowBytes) }.Distinct())
        {
            int read = RandomAccess.Read(stream.SafeFileHandle, window.AsSpan(0, (int)Math.Min(WindowBytes, length - offset)), offset);
            sha.AppendData(window, 0, read);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset())[..32];
    }
}
