namespace PromptCache.Tokenizers.PreTokenizers
{
    /// <summary>
    /// One piece of text on its way to the model: a window of a string. Windows avoid copying the
    /// input for the common pre-tokenizers that only split; the few that rewrite text (Metaspace,
    /// a prefix space) make a new string.
    /// </summary>
    internal readonly struct PreToken
    {
        public PreToken(string text, int start, int length)
        {
            Text = text;
            Start = start;
            Length = length;
        }

        public PreToken(string text)
            : this(text, 0, text.Length)
        {
        }

        public string Text { get; }

        public int Start { get; }

        public int Length { get; }

        public int End => Start + Length;

        public char this[int index] => Text[Start + index];

        public override string ToString() => Text.Substring(Start, Length);
    }
}
