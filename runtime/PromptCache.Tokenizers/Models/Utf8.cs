namespace PromptCache.Tokenizers.Models
{
    /// <summary>
    /// UTF-8 encoding into a reusable buffer, for the per-word hot path (no allocation, no
    /// encoder object). A lone surrogate becomes U+FFFD, as <see cref="System.Text.Encoding.UTF8"/>
    /// does: HF never sees one because Rust strings are always valid.
    /// </summary>
    internal static class Utf8
    {
        public static byte[] Encode(string s, int start, int length, ref byte[]? buffer, out int count)
        {
            int needed = length * 3;
            if (buffer == null || buffer.Length < needed) buffer = new byte[needed < 256 ? 256 : needed * 2];
            byte[] b = buffer;
            int n = 0;
            int end = start + length;
            for (int i = start; i < end; i++)
            {
                int c = s[i];
                if (c < 0x80)
                {
                    b[n++] = (byte)c;
                }
                else if (c < 0x800)
                {
                    b[n++] = (byte)(0xC0 | (c >> 6));
                    b[n++] = (byte)(0x80 | (c & 0x3F));
                }
                else if (c >= 0xD800 && c <= 0xDFFF)
                {
                    if (c <= 0xDBFF && i + 1 < end && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF)
                    {
                        int cp = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00);
                        i++;
                        b[n++] = (byte)(0xF0 | (cp >> 18));
                        b[n++] = (byte)(0x80 | ((cp >> 12) & 0x3F));
                        b[n++] = (byte)(0x80 | ((cp >> 6) & 0x3F));
                        b[n++] = (byte)(0x80 | (cp & 0x3F));
                    }
                    else
                    {
                        b[n++] = 0xEF;
                        b[n++] = 0xBF;
                        b[n++] = 0xBD;
                    }
                }
                else
                {
                    b[n++] = (byte)(0xE0 | (c >> 12));
                    b[n++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                    b[n++] = (byte)(0x80 | (c & 0x3F));
                }
            }
            count = n;
            return b;
        }
    }
}
