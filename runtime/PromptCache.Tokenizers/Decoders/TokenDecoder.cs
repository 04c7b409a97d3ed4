using System.Collections.Generic;
using System.Text;
using PromptCache.Tokenizers.Models;

namespace PromptCache.Tokenizers.Decoders
{
    /// <summary>
    /// Turns token strings back into text, like the HF <c>decoder</c> of the same name. Each
    /// decoder maps a list of strings to a list of strings (HF's <c>decode_chain</c>), so they
    /// compose in a <see cref="SequenceDecoder"/>; the final text is their concatenation.
    /// </summary>
    internal abstract class TokenDecoder
    {
        public abstract List<string> DecodeChain(List<string> tokens);
    }

    /// <summary>HF <c>ByteLevel</c>: maps the GPT-2 alphabet back to bytes and decodes UTF-8 lossily.</summary>
    internal sealed class ByteLevelDecoder : TokenDecoder
    {
        public override List<string> DecodeChain(List<string> tokens)
        {
            var bytes = new List<byte>();
            foreach (string token in tokens)
            {
                // A token with a character outside the alphabet (an added token such as a CJK
                // word) contributes its own UTF-8 bytes, as in HF.
                bool inAlphabet = true;
                foreach (char c in token)
                {
                    if (ByteLevelAlphabet.ToByte(c) < 0) { inAlphabet = false; break; }
                }
                if (inAlphabet) foreach (char c in token) bytes.Add((byte)ByteLevelAlphabet.ToByte(c));
                else bytes.AddRange(Encoding.UTF8.GetBytes(token));
            }
            return new List<string> { Encoding.UTF8.GetString(bytes.ToArray()) };
        }
    }

    /// <summary>HF <c>Replace</c> (literal pattern): replaces a string in every token.</summary>
    internal sealed class ReplaceDecoder : TokenDecoder
    {
        private readonly string _pattern;
        private readonly string _content;

        public ReplaceDecoder(string pattern, string content)
        {
            _pattern = pattern;
            _content = content;
        }

        public override List<string> DecodeChain(List<string> tokens)
        {
            var result = new List<string>(tokens.Count);
            foreach (string t in tokens) result.Add(_pattern.Length == 0 ? t : t.Replace(_pattern, _content));
            return result;
        }
    }

    /// <summary>
    /// HF <c>ByteFallback</c>: runs of <c>&lt;0xXX&gt;</c> tokens become the text their bytes
    /// spell; a run that is not valid UTF-8 becomes one U+FFFD per byte, as in HF.
    /// </summary>
    internal sealed class ByteFallbackDecoder : TokenDecoder
    {
        public override List<string> DecodeChain(List<string> tokens)
        {
            var result = new List<string>(tokens.Count);
            var pending = new List<byte>();
            foreach (string t in tokens)
            {
                int b = ParseByteToken(t);
                if (b >= 0)
                {
                    pending.Add((byte)b);
                    continue;
                }
                Flush(pending, result);
                result.Add(t);
            }
            Flush(pending, result);
            return result;
        }

        private static readonly UTF8Encoding Strict = new UTF8Encoding(false, throwOnInvalidBytes: true);

        private static void Flush(List<byte> pending, List<string> result)
        {
            if (pending.Count == 0) return;
            try
            {
                result.Add(Strict.GetString(pending.ToArray()));
            }
            catch (DecoderFallbackException)
            {
                for (int k = 0; k < pending.Count; k++) result.Add("\uFFFD");
            }
            pending.Clear();
        }

        /// <summary>The byte of a <c>&lt;0xXX&gt;</c> token, or -1.</summary>
        internal static int ParseByteToken(string t)
        {
            if (t.Length != 6 || t[0] != '<' || t[1] != '0' || t[2] != 'x' || t[5] != '>') return -1;
            int hi = Hex(t[3]);
            int lo = Hex(t[4]);
            return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
        }

        private static int Hex(char c)
        {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            return -1;
        }
    }

    /// <summary>HF <c>Fuse</c>: joins all tokens into one string.</summary>
    internal sealed class FuseDecoder : TokenDecoder
    {
        public override List<string> DecodeChain(List<string> tokens) => new List<string> { string.Concat(tokens) };
    }

    /// <summary>HF <c>Strip</c>: removes up to <c>start</c>/<c>stop</c> occurrences of a character from each token's ends.</summary>
    internal sealed class StripDecoder : TokenDecoder
    {
        private readonly char _content;
        private readonly int _start;
        private readonly int _stop;

        public StripDecoder(char content, int start, int stop)
        {
            _content = content;
            _start = start;
            _stop = stop;
        }

        public override List<string> DecodeChain(List<string> tokens)
        {
            var result = new List<string>(tokens.Count);
            foreach (string t in tokens)
            {
                int from = 0;
                while (from < _start && from < t.Length && t[from] == _content) from++;
                int to = t.Length;
                int removed = 0;
                while (removed < _stop && to > from && t[to - 1] == _content) { to--; removed++; }
                result.Add(t.Substring(from, to - from));
            }
            return result;
        }
    }

    /// <summary>HF <c>Metaspace</c> decoder: the replacement character becomes a space; the first token loses its leading space unless the prepend scheme is "never".</summary>
    internal sealed class MetaspaceDecoder : TokenDecoder
    {
        private readonly char _replacement;
        private readonly bool _stripFirst;

        public MetaspaceDecoder(char replacement, bool stripFirst)
        {
            _replacement = replacement;
            _stripFirst = stripFirst;
        }

        public override List<string> DecodeChain(List<string> tokens)
        {
            var result = new List<string>(tokens.Count);
            for (int i = 0; i < tokens.Count; i++)
            {
                string t = tokens[i].Replace(_replacement, ' ');
                if (i == 0 && _stripFirst && t.Length > 0 && t[0] == ' ') t = t.Substring(1);
                result.Add(t);
            }
            return result;
        }
    }

    /// <summary>HF <c>Sequence</c>: decoders applied in order.</summary>
    internal sealed class SequenceDecoder : TokenDecoder
    {
        private readonly TokenDecoder[] _stages;

        public SequenceDecoder(TokenDecoder[] stages) => _stages = stages;

        public override List<string> DecodeChain(List<string> tokens)
        {
            foreach (TokenDecoder stage in _stages) tokens = stage.DecodeChain(tokens);
            return tokens;
        }
    }
}
