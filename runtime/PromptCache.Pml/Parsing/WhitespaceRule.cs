namespace PromptCache.Pml.Parsing
{
    /// <summary>
    /// PML's whitespace rule, as the reference applies it (<c>re.sub(r'^\s+|\s+$', ' ', text)</c>):
    /// the leading and the trailing whitespace run of a segment each become one space. A segment of
    /// only whitespace therefore becomes a single space and is KEPT (the reference tokenizes it
    /// too); only a segment with no characters at all is dropped.
    /// </summary>
    internal static class WhitespaceRule
    {
        /// <summary>The segment as it is tokenized, or null when there is nothing to tokenize.</summary>
        public static string? Apply(string raw)
        {
            if (raw.Length == 0)
                return null;
            int first = 0;
            while (first < raw.Length && char.IsWhiteSpace(raw[first]))
                first++;
            if (first == raw.Length)
                return " ";
            int last = raw.Length - 1;
            while (last > first && char.IsWhiteSpace(raw[last]))
                last--;
            string core = raw.Substring(first, last - first + 1);
            return (first > 0 ? " " : string.Empty) + core + (last < raw.Length - 1 ? " " : string.Empty);
        }

        public static bool IsBlank(string text)
        {
            foreach (char c in text)
            {
                if (!char.IsWhiteSpace(c))
                    return false;
            }
            return true;
        }
    }
}
