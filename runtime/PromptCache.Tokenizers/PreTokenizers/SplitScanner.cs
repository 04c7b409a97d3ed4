using System.Text.RegularExpressions;

namespace PromptCache.Tokenizers.PreTokenizers
{
    /// <summary>Finds successive matches of a split pattern inside one piece of text.</summary>
    internal abstract class SplitScanner
    {
        /// <summary>Finds the first match in <c>s[from..end)</c>; false when there is none.</summary>
        public abstract bool NextMatch(string s, int from, int end, out int matchStart, out int matchEnd);

        /// <summary>
        /// The scanner for <paramref name="pattern"/>: a hand-written one for the patterns of GPT-2,
        /// Qwen2/2.5/3 and Llama 3 (they run for every byte of input, and a scanner is several times
        /// faster than a backtracking regex), otherwise a compiled .NET <see cref="Regex"/>.
        /// </summary>
        public static SplitScanner ForRegex(string pattern)
        {
            if (pattern == Gpt2Scanner.Pattern) return new Gpt2Scanner();
            if (pattern == QwenScanner.QwenPattern) return new QwenScanner(maxDigits: 1);
            if (pattern == QwenScanner.Llama3Pattern) return new QwenScanner(maxDigits: 3);
            return new RegexScanner(pattern);
        }
    }

    /// <summary>The fallback for unknown patterns: .NET's regex engine.</summary>
    internal sealed class RegexScanner : SplitScanner
    {
        private readonly Regex _regex;

        public RegexScanner(string pattern)
        {
            try
            {
                _regex = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled);
            }
            catch (System.ArgumentException e)
            {
                throw new TokenizerFormatException($"pre_tokenizer.pattern.Regex '{pattern}' is not a pattern .NET can compile: {e.Message}");
            }
        }

        public override bool NextMatch(string s, int from, int end, out int matchStart, out int matchEnd)
        {
            // Match(s, beginning, length) treats the window as the whole input, so lookarounds and
            // anchors stop at the piece's edges, as they do in HF where each piece is matched alone.
            Match m = _regex.Match(s, from, end - from);
            while (m.Success && m.Length == 0)
            {
                // Empty matches split nothing; skip them.
                if (m.Index >= end) break;
                m = m.NextMatch();
            }
            if (!m.Success || m.Length == 0)
            {
                matchStart = matchEnd = end;
                return false;
            }
            matchStart = m.Index;
            matchEnd = m.Index + m.Length;
            return true;
        }
    }
}
