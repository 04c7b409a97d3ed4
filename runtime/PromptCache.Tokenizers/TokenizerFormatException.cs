using System;

namespace PromptCache.Tokenizers
{
    /// <summary>
    /// A tokenizer file that cannot be used: an unsupported model, pre-tokenizer, normalizer or
    /// decoder, or a missing or malformed field. The message names the field, and the supported
    /// values where there is a fixed set.
    /// </summary>
    public sealed class TokenizerFormatException : Exception
    {
        /// <summary>Creates the exception with a message naming the field.</summary>
        public TokenizerFormatException(string message)
            : base(message)
        {
        }

        /// <summary>Creates the exception with a message and the underlying cause.</summary>
        public TokenizerFormatException(string message, Exception inner)
            : base(message, inner)
        {
        }
    }
}
