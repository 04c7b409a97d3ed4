namespace PromptCache.Tokenizers.Chat
{
    /// <summary>The text a chat format puts around one message of one role.</summary>
    public sealed class RoleMarkers
    {
        /// <summary>Creates role markers.</summary>
        public RoleMarkers(string prefix, string suffix)
        {
            Prefix = prefix ?? throw new System.ArgumentNullException(nameof(prefix));
            Suffix = suffix ?? throw new System.ArgumentNullException(nameof(suffix));
        }

        /// <summary>Text before the message content (special tokens spelled out, e.g. <c>&lt;|im_start|&gt;user\n</c>).</summary>
        public string Prefix { get; }

        /// <summary>Text after the message content.</summary>
        public string Suffix { get; }

        /// <inheritdoc />
        public override string ToString() => Prefix + "{content}" + Suffix;
    }
}
