using System.Globalization;

namespace PromptCache.Tokenizers.PreTokenizers
{
    /// <summary>
    /// The three Unicode classes the known split patterns test: <c>\p{L}</c>, <c>\p{N}</c> and
    /// <c>\s</c>. Classification is per code point (as in the Oniguruma engine the HF library uses),
    /// not per UTF-16 unit as .NET's Regex does, so astral letters such as CJK Extension B count as
    /// letters.
    /// </summary>
    internal static class CharClass
    {
        public const byte Other = 0;
        public const byte Letter = 1;
        public const byte Number = 2;
        public const byte Space = 4;

        // A lookup table for the whole BMP: one byte per UTF-16 unit, built once (about 1 ms)
        // because the scanner asks for every character of every text.
        private static readonly byte[] Bmp = BuildBmpTable();

        private static byte[] BuildBmpTable()
        {
            var table = new byte[65536];
            for (int c = 0; c < 65536; c++)
            {
                if (c >= 0xD800 && c <= 0xDFFF) continue; // surrogates: Other unless paired
                table[c] = FromCategory(CharUnicodeInfo.GetUnicodeCategory((char)c));
                if (IsWhiteSpaceProperty(c)) table[c] = Space;
            }
            return table;
        }

        private static byte FromCategory(UnicodeCategory category)
        {
            switch (category)
            {
                case UnicodeCategory.UppercaseLetter:
                case UnicodeCategory.LowercaseLetter:
                case UnicodeCategory.TitlecaseLetter:
                case UnicodeCategory.ModifierLetter:
                case UnicodeCategory.OtherLetter:
                    return Letter;
                case UnicodeCategory.DecimalDigitNumber:
                case UnicodeCategory.LetterNumber:
                case UnicodeCategory.OtherNumber:
                    return Number;
                default:
                    return Other;
            }
        }

        /// <summary>The Unicode White_Space property, which is what <c>\s</c> means in Oniguruma.</summary>
        private static bool IsWhiteSpaceProperty(int c) =>
            (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
            || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;

        /// <summary>Classifies the code point at <paramref name="i"/> and returns its length in UTF-16 units (1 or 2).</summary>
        public static byte At(string s, int i, int end, out int length)
        {
            char c = s[i];
            if (!char.IsHighSurrogate(c) || i + 1 >= end || !char.IsLowSurrogate(s[i + 1]))
            {
                length = 1;
                return Bmp[c];
            }
            length = 2;
            return FromCategory(CharUnicodeInfo.GetUnicodeCategory(s, i));
        }

        /// <summary>Classifies a single UTF-16 unit (surrogates count as <see cref="Other"/>).</summary>
        public static byte OfChar(char c) => Bmp[c];
    }
}
