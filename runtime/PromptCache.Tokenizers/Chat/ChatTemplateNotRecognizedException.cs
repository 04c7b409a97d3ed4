using System;

namespace PromptCache.Tokenizers.Chat
{
    /// <summary>
    /// The model's chat template is missing or is not one of the known families. Role markers are
    /// never guessed: pass an explicit family or explicit markers instead.
    /// </summary>
    public sealed class ChatTemplateNotRecognizedException : Exception
    {
        /// <summary>Creates the exception.</summary>
        public ChatTemplateNotRecognizedException(string message)
            : base(message)
        {
        }
    }
}
