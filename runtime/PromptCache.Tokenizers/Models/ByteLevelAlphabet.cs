namespace PromptCache.Tokenizers.Models
{
    /// <summary>
    /// GPT-2's reversible byte-to-character alphabet: printable Latin-1 bytes stand for themselves
    /// and the other 68 bytes are shifted to U+0100 onwards, so every byte sequence is a string of
    /// visible characters (a space becomes 'Ġ', a newline 'Ċ'). Byte-level vocabularies are written
    /// in this alphabet.
    /// </summary>
    internal static class ByteLevelAlphabet
    {
        /// <summary>The character that stands for each byte.</summary>
        public static readonly char[] ByteToChar = Build();

        /// <summary>The byte each alphabet character stands for, or -1 (indexed by char, 0..0x1FF).</summary>
        public static readonly short[] CharToByte = Invert(ByteToChar);

        private static char[] Build()
        {
            var map = new char[256];
            int shifted = 0;
            for (int b = 0; b < 256; b++)
            {
                bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
                map[b] = printable ? (char)b : (char)(256 + shifted++);
            }
            return map;
        }

        private static short[] Invert(char[] byteToChar)
        {
            var inverse = new short[0x200];
            for (int i = 0; i < inverse.Length; i++) inverse[i] = -1;
            for (int b = 0; b < 256; b++) inverse[byteToChar[b]] = (short)b;
            return inverse;
        }

        /// <summary>The byte a character stands for, or -1 when it is not in the alphabet.</summary>
        public static int ToByte(char c) => c < 0x200 ? CharToByte[c] : -1;
    }
}
