namespace PromptCache.Tokenizers.PreTokenizers
{
    /// <summary>
    /// A hand-written matcher equivalent to the split pattern of Qwen2/2.5/3 (digits one at a time)
    /// and Llama 3 (digits in groups of up to three). Alternatives are tried in the regex's order
    /// with the same greedy/backtracking outcome; every character is covered by some alternative.
    /// </summary>
    internal sealed class QwenScanner : SplitScanner
    {
        public const string QwenPattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
        public const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

        private readonly int _maxDigits;

        public QwenScanner(int maxDigits) => _maxDigits = maxDigits;

        public override bool NextMatch(string s, int from, int end, out int matchStart, out int matchEnd)
        {
            matchStart = from;
            if (from >= end)
            {
                matchEnd = end;
                return false;
            }
            matchEnd = MatchAt(s, from, end, _maxDigits);
            return true;
        }

        internal static int MatchAt(string s, int i, int end, int maxDigits)
        {
            char c = s[i];
            // (?i:'s|'t|'re|'ve|'m|'ll|'d)
            if (c == '\'' && i + 1 < end)
            {
                char c1 = FoldAscii(s[i + 1]);
                if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return i + 2;
                if (i + 2 < end)
                {
                    char c2 = FoldAscii(s[i + 2]);
                    if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return i + 3;
                }
            }

            byte cls = CharClass.At(s, i, end, out int len);
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (cls == CharClass.Letter) return Gpt2Scanner.ScanRun(s, i + len, end, CharClass.Letter);
            if (cls != CharClass.Number && c != '\r' && c != '\n' && i + len < end
                && CharClass.At(s, i + len, end, out _) == CharClass.Letter)
            {
                return Gpt2Scanner.ScanRun(s, i + len, end, CharClass.Letter);
            }

            // \p{N} or \p{N}{1,3}
            if (cls == CharClass.Number)
            {
                int j = i + len;
                for (int count = 1; count < maxDigits && j < end; count++)
                {
                    if (CharClass.At(s, j, end, out int l2) != CharClass.Number) break;
                    j += l2;
                }
                return j;
            }

            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
            int run = -1;
            if (c == ' ' && i + 1 < end && CharClass.At(s, i + 1, end, out _) == CharClass.Other) run = i + 1;
            else if (cls == CharClass.Other) run = i;
            if (run >= 0)
            {
                int j = Gpt2Scanner.ScanRun(s, run, end, CharClass.Other);
                while (j < end && (s[j] == '\r' || s[j] == '\n')) j++;
                return j;
            }

            // Whitespace from here on. \s*[\r\n]+ : up to and including the run's last line break.
            int w = i;
            int lastBreak = -1;
            while (w < end && CharClass.OfChar(s[w]) == CharClass.Space)
            {
                if (s[w] == '\r' || s[w] == '\n') lastBreak = w;
                w++;
            }
            if (lastBreak >= 0) return lastBreak + 1;
            // \s+(?!\S) | \s+
            if (w == end || w - i < 2) return w;
            return w - 1;
        }

        // Case-insensitive matching of the contraction letters. U+017F (long s) folds to 's' in
        // Unicode case folding, which the HF regex engine honours.
        private static char FoldAscii(char c)
        {
            if (c >= 'A' && c <= 'Z') return (char)(c + 32);
            if (c == '\u017F') return 's';
            return c;
        }
    }
}
