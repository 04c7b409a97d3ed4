namespace PromptCache.Tokenizers.AddedTokens
{
    /// <summary>
    /// A token matched in the text before pre-tokenization (HF <c>added_tokens</c>): special
    /// tokens such as <c>&lt;|im_start|&gt;</c>, or user-added words.
    /// </summary>
    public sealed class AddedToken
    {
        /// <summary>Creates an added token.</summary>
        public AddedToken(int id, string content, bool special, bool normalized = false, bool lstrip = false, bool rstrip = false, bool singleWord = false)
        {
            Id = id;
            Content = content;
            Special = special;
            Normalized = normalized;
            LStrip = lstrip;
            RStrip = rstrip;
            SingleWord = singleWord;
        }

        /// <summary>The token id.</summary>
        public int Id { get; }

        /// <summary>The text that stands for the token.</summary>
        public string Content { get; }

        /// <summary>A special token (control token): skipped by decoding with <c>skipSpecialTokens</c>.</summary>
        public bool Special { get; }

        /// <summary>Matched in the normalized text (true) or in the raw text (false).</summary>
        public bool Normalized { get; }

        /// <summary>A match also swallows the whitespace on its left.</summary>
        public bool LStrip { get; }

        /// <summary>A match also swallows the whitespace on its right.</summary>
        public bool RStrip { get; }

        /// <summary>Matched only as a whole word (not inside a longer word).</summary>
        public bool SingleWord { get; }

        /// <inheritdoc />
        public override string ToString() => Content + " (" + Id + (Special ? ", special" : "") + ")";
    }
}
