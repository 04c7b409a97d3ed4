using System.Collections.Generic;
using System.Text;

namespace PromptCache.Pml
{
    /// <summary>
    /// The content hash of a schema: 128 bits (two FNV-1a 64-bit lanes with different seeds) over
    /// the UTF-8 of the PML text and of each loaded <c>src</c> file, line endings normalised to LF so
    /// that a Windows checkout hashes like a Linux one. Used as a cache key, not for security;
    /// written by hand because netstandard2.0 and the analyzer sandbox offer no hashing package.
    /// </summary>
    public static class PmlContentHash
    {
        private const ulong Prime = 1099511628211UL;

        /// <summary>Hashes <paramref name="text"/> followed by each of <paramref name="sources"/>, as 32 hex digits.</summary>
        public static string Compute(string text, IEnumerable<string>? sources = null)
        {
            ulong a = 14695981039346656037UL;
            ulong b = 0x6c62272e07bb0142UL;
            Feed(ref a, ref b, text);
            if (sources is not null)
            {
                foreach (var s in sources)
                {
                    // A separator byte no UTF-8 text contains, so ("ab","c") and ("a","bc") differ.
                    Mix(ref a, ref b, 0xFF);
                    Feed(ref a, ref b, s);
                }
            }
            return a.ToString("x16") + b.ToString("x16");
        }

        private static void Feed(ref ulong a, ref ulong b, string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text.Replace("\r\n", "\n"));
            foreach (byte x in bytes)
                Mix(ref a, ref b, x);
        }

        private static void Mix(ref ulong a, ref ulong b, byte x)
        {
            unchecked
            {
                a = (a ^ x) * Prime;
                b = (b ^ (byte)(x + 0x5b)) * Prime;
            }
        }
    }
}
