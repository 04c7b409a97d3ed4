using System.Collections.Generic;

namespace PromptCache.Tokenizers.PreTokenizers
{
    /// <summary>HF <c>Digits</c>: isolates runs of digits, or each digit when <c>individual_digits</c> is set.</summary>
    internal sealed class DigitsPreTokenizer : PreTokenizer
    {
        private readonly bool _individual;

        public DigitsPreTokenizer(bool individual) => _individual = individual;

        // HF tests is_ascii_digit: other scripts' digits are not split off.
        private static bool IsAsciiDigit(char c) => c >= '0' && c <= '9';

        public override void Split(List<PreToken> input, List<PreToken> output, bool isFirstSection)
        {
            foreach (PreToken piece in input)
            {
                int start = piece.Start;
                int i = start;
                while (i < piece.End)
                {
                    bool digit = IsAsciiDigit(piece.Text[i]);
                    if (!digit) { i++; continue; }
                    if (i > start) output.Add(new PreToken(piece.Text, start, i - start));
                    int j = i + 1;
                    if (!_individual) while (j < piece.End && IsAsciiDigit(piece.Text[j])) j++;
                    output.Add(new PreToken(piece.Text, i, j - i));
                    start = i = j;
                }
                if (piece.End > start) output.Add(new PreToken(piece.Text, start, piece.End - start));
            }
        }
    }
}
