using System;
using System.Collections.Generic;

namespace PromptCache.Tokenizers.AddedTokens
{
    /// <summary>A run of a text: either plain text to tokenize, or one matched added token.</summary>
    internal readonly struct TextSection
    {
        public TextSection(int start, int length, int tokenId)
        {
            Start = start;
            Length = length;
            TokenId = tokenId;
        }

        public int Start { get; }

        public int Length { get; }

        /// <summary>The added token's id, or -1 for plain text.</summary>
        public int TokenId { get; }

        public bool IsToken => TokenId >= 0;

        public int End => Start + Length;
    }

    /// <summary>
    /// Finds added tokens in text, leftmost-longest like HF's Aho-Corasick matcher, with the
    /// <c>lstrip</c>/<c>rstrip</c>/<c>single_word</c> options. Candidate positions are found with
    /// <see cref="string.IndexOfAny(char[], int)"/> on the tokens' first characters (vectorized on
    /// .NET), so text without added tokens is scanned at memory speed.
    /// </summary>
    internal sealed class AddedTokenMatcher
    {
        private readonly Dictionary<char, AddedTokenPattern[]> _byFirstChar;
        private readonly char[] _firstChars;

        public AddedTokenMatcher(IEnumerable<AddedTokenPattern> patterns)
        {
            var groups = new Dictionary<char, List<AddedTokenPattern>>();
            foreach (AddedTokenPattern p in patterns)
            {
                if (p.Text.Length == 0) continue;
                if (!groups.TryGetValue(p.Text[0], out List<AddedTokenPattern>? list)) groups[p.Text[0]] = list = new List<AddedTokenPattern>();
                list.Add(p);
            }
            _byFirstChar = new Dictionary<char, AddedTokenPattern[]>();
            foreach (KeyValuePair<char, List<AddedTokenPattern>> g in groups)
            {
                // Longest first, so the first candidate that matches is the leftmost-longest match.
                g.Value.Sort((a, b) => b.Text.Length.CompareTo(a.Text.Length));
                _byFirstChar[g.Key] = g.Value.ToArray();
            }
            _firstChars = new char[_byFirstChar.Count];
            _byFirstChar.Keys.CopyTo(_firstChars, 0);
        }

        public bool IsEmpty => _firstChars.Length == 0;

        /// <summary>Splits <c>text[start..start+length)</c> into plain-text and added-token sections, appending them.</summary>
        public void Split(string text, int start, int length, List<TextSection> output)
        {
            int end = start + length;
            int textStart = start; // start of the pending plain-text run
            int pos = start;
            while (pos < end && !IsEmpty)
            {
                int hit = text.IndexOfAny(_firstChars, pos, end - pos);
                if (hit < 0) break;
                if (!TryMatchAt(text, hit, start, end, out AddedTokenPattern? match))
                {
                    pos = hit + 1;
                    continue;
                }
                int matchStart = hit;
                int matchEnd = hit + match!.Text.Length;
                if (match.Token.LStrip) while (matchStart > textStart && char.IsWhiteSpace(text[matchStart - 1])) matchStart--;
                if (match.Token.RStrip) while (matchEnd < end && char.IsWhiteSpace(text[matchEnd])) matchEnd++;
                if (matchStart > textStart) output.Add(new TextSection(textStart, matchStart - textStart, -1));
                output.Add(new TextSection(matchStart, matchEnd - matchStart, match.Token.Id));
                textStart = pos = matchEnd;
            }
            if (end > textStart) output.Add(new TextSection(textStart, end - textStart, -1));
        }

        private bool TryMatchAt(string text, int i, int start, int end, out AddedTokenPattern? match)
        {
            foreach (AddedTokenPattern p in _byFirstChar[text[i]])
            {
                if (i + p.Text.Length > end || string.CompareOrdinal(text, i, p.Text, 0, p.Text.Length) != 0) continue;
                if (p.Token.SingleWord)
                {
                    bool leftOk = i == start || !IsWordChar(text[i - 1]);
                    int after = i + p.Text.Length;
                    bool rightOk = after == end || !IsWordChar(text[after]);
                    if (!leftOk || !rightOk) continue;
                }
                match = p;
                return true;
            }
            match = null;
            return false;
        }

        private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
    }

    /// <summary>An added token with the exact text to look for (its content, normalized when the token is).</summary>
    internal sealed class AddedTokenPattern
    {
        public AddedTokenPattern(AddedToken token, string text)
        {
            Token = token;
            Text = text;
        }

        public AddedToken Token { get; }

        public string Text { get; }
    }
}
