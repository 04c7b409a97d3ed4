using System.Security.Cryptography;
using System.Text;

namespace PromptCache.Generators.Emit;

/// <summary>
/// The schema's content hash: SHA-256 over the UTF-8 source with line endings normalised to "\n", as
/// lowercase hex. Normalising first means a checkout with CRLF endings and one with LF endings produce
/// the same hash, so a disk cache keyed by it survives a move between Windows and Linux.
/// </summary>
internal static class ContentHash
{
    /// <summary>Normalises line endings to "\n".</summary>
    public static string NormalizeLineEndings(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n');

    /// <summary>Lowercase hex SHA-256 of the UTF-8 bytes of <paramref name="normalizedText"/>.</summary>
    public static string Sha256Hex(string normalizedText)
    {
        using var sha = SHA256.Create();
        var digest = sha.ComputeHash(Encoding.UTF8.GetBytes(normalizedText));
        var hex = new StringBuilder(digest.Length * 2);
        foreach (var b in digest)
        {
            hex.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return hex.ToString();
    }
}
