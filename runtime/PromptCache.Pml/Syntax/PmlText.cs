namespace PromptCache.Pml.Syntax
{
    /// <summary>
    /// A text segment, after entity decoding and the whitespace rule (leading and trailing
    /// whitespace runs collapsed to one space). Each segment is tokenized on its own.
    /// </summary>
    public sealed class PmlText : PmlNode
    {
        /// <summary>Creates a text node.</summary>
        public PmlText(string text, PmlLocation location)
            : base(location)
        {
            Text = text ?? string.Empty;
        }

        /// <summary>The text as it is tokenized.</summary>
        public string Text { get; }

        /// <inheritdoc/>
        public override bool Equals(PmlNode? other) =>
            other is PmlText t && Text == t.Text && Location.Equals(t.Location);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCombiner.Combine(1, Text.GetHashCode(), Location.GetHashCode());
    }
}
