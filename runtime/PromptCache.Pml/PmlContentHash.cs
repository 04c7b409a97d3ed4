using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;

namespace PromptCache.Pml
{
    /// <summary>
    /// The content hash of a schema: SHA-256 over the UTF-8 of the PML text and of each loaded
    /// <c>src</c> file, line endings normalised to LF so that a Windows checkout hashes like a Linux
    /// one. Cached module states are keyed on it, so a collision would serve one schema's attention
    /// states for another's: a cryptographic hash makes that practically impossible. SHA-256 is in
    /// netstandard2.0 and allowed inside the compiler, so the generator computes the same value.
    /// </summary>
    public static class PmlContentHash
    {
        // A byte no UTF-8 text contains, between the text and each src file, so ("ab","c") and ("a","bc") differ.
        private static readonly byte[] Separator = { 0xFF };

        /// <summary>Hashes <paramref name="text"/> followed by each of <paramref name="sources"/>, as 64 lowercase hex digits.</summary>
        public static string Compute(string text, IEnumerable<string>? sources = null)
        {
            using var sha = SHA256.Create();
            Feed(sha, text);
            if (sources is not null)
            {
                foreach (var s in sources)
                {
                    sha.TransformBlock(Separator, 0, Separator.Length, null, 0);
                    Feed(sha, s);
                }
            }

            sha.TransformFinalBlock(new byte[0], 0, 0);
            var hex = new StringBuilder(64);
            foreach (var b in sha.Hash!)
                hex.Append(b.ToString("x2"));
            return hex.ToString();
        }

        private static void Feed(HashAlgorithm sha, string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text.Replace("\r\n", "\n"));
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
    }
}
