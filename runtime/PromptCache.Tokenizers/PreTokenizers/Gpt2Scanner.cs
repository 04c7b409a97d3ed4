namespace PromptCache.Tokenizers.PreTokenizers
{
    /// <summary>
    /// A hand-written matcher equivalent to GPT-2's split pattern (<see cref="Pattern"/>), which the
    /// HF ByteLevel pre-tokenizer uses when <c>use_regex</c> is true. Each alternative is tried in
    /// the regex's order, with the same greedy/backtracking outcome; every character is covered by
    /// some alternative, so matches are contiguous.
    /// </summary>
    internal sealed class Gpt2Scanner : SplitScanner
    {
        public const string Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

        public override bool NextMatch(string s, int from, int end, out int matchStart, out int matchEnd)
        {
            matchStart = from;
            if (from >= end)
            {
                matchEnd = end;
                return false;
            }
            matchEnd = MatchAt(s, from, end);
            return true;
        }

        internal static int MatchAt(string s, int i, int end)
        {
            char c = s[i];
            // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive in GPT-2)
            if (c == '\'' && i + 1 < end)
            {
                char c1 = s[i + 1];
                if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return i + 2;
                if (i + 2 < end)
                {
                    char c2 = s[i + 2];
                    if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return i + 3;
                }
            }

            byte cls = CharClass.At(s, i, end, out int len);
            int start = i;
            // " ?X+" alternatives: a leading space binds to the run that follows it.
            if (c == ' ' && i + 1 < end)
            {
                byte next = CharClass.At(s, i + 1, end, out _);
                if (next != CharClass.Space)
                {
                    cls = next;
                    start = i + 1;
                }
            }
            if (cls != CharClass.Space || start != i)
            {
                return ScanRun(s, start, end, cls);
            }

            // \s+(?!\S) | \s+ : a whitespace run leaves its last space to the word that follows.
            int j = i;
            while (j < end && CharClass.OfChar(s[j]) == CharClass.Space) j++;
            if (j == end || j - i < 2) return j;
            return j - 1;
        }

        /// <summary>Extends a run of code points of class <paramref name="cls"/> starting at <paramref name="i"/>.</summary>
        internal static int ScanRun(string s, int i, int end, byte cls)
        {
            while (i < end)
            {
                byte k = CharClass.At(s, i, end, out int len);
                if (k != cls) break;
                i += len;
            }
            return i;
        }
    }
}
