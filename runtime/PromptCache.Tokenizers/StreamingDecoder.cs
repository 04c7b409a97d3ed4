using System;
using System.Collections.Generic;

namespace PromptCache.Tokenizers
{
    /// <summary>
    /// Decodes generated ids one at a time. Text is returned only when it is final: a token that
    /// ends inside a UTF-8 character (byte-level or byte-fallback tokens) yields nothing until the
    /// character is complete. Same algorithm as HF's <c>DecodeStream</c>: decode a small window of
    /// recent ids and return what it adds beyond the already-returned prefix, so decoders that
    /// look at neighbours (a stripped leading space, fused bytes) behave as in a full decode.
    /// </summary>
    public sealed class StreamingDecoder
    {
        private readonly Tokenizer _tokenizer;
        private readonly bool _skipSpecialTokens;
        private readonly List<int> _window = new List<int>();
        private string _prefix = string.Empty;
        private int _prefixIndex;

        internal StreamingDecoder(Tokenizer tokenizer, bool skipSpecialTokens)
        {
            _tokenizer = tokenizer;
            _skipSpecialTokens = skipSpecialTokens;
        }

        /// <summary>Adds one id; returns the new text it completes, or null when there is none yet.</summary>
        public string? Step(int id)
        {
            _window.Add(id);
            string text = _tokenizer.Decode(_window, _skipSpecialTokens);
            if (text.Length <= _prefix.Length || text[text.Length - 1] == '\uFFFD') return null;
            if (!text.StartsWith(_prefix, StringComparison.Ordinal))
                throw new InvalidOperationException("The decoded window no longer starts with the text already returned; this tokenizer's decoder is not prefix-stable.");
            string added = text.Substring(_prefix.Length);
            // Keep only the ids from the previous prefix start on: enough context for the next step.
            int newPrefixIndex = _window.Count - _prefixIndex;
            _window.RemoveRange(0, _prefixIndex);
            _prefix = _tokenizer.Decode(_window, _skipSpecialTokens);
            _prefixIndex = newPrefixIndex;
            return added;
        }

        /// <summary>Clears the state to start a new sequence.</summary>
        public void Reset()
        {
            _window.Clear();
            _prefix = string.Empty;
            _prefixIndex = 0;
        }
    }
}
