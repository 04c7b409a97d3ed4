using System.Collections.Generic;

namespace PromptCache.Tokenizers.PreTokenizers
{
    /// <summary>
    /// HF <c>ByteLevel</c>: optionally adds a leading space, optionally splits with GPT-2's
    /// pattern, and marks the pipeline byte-level: the model then encodes each piece's UTF-8
    /// bytes through the GPT-2 byte-to-character alphabet (done by the model, to avoid building an
    /// intermediate string for every word).
    /// </summary>
    internal sealed class ByteLevelPreTokenizer : PreTokenizer
    {
        private readonly bool _addPrefixSpace;
        private readonly SplitPreTokenizer? _split;

        public ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex)
        {
            _addPrefixSpace = addPrefixSpace;
            _split = useRegex ? new SplitPreTokenizer(new Gpt2Scanner(), SplitBehavior.Isolated, invert: false) : null;
        }

        public override bool IsByteLevel => true;

        public override bool IsIdentity => !_addPrefixSpace && _split == null;

        public override SplitScanner? DirectScanner => _addPrefixSpace ? null : _split?.DirectScanner;

        public override void Split(List<PreToken> input, List<PreToken> output, bool isFirstSection)
        {
            foreach (PreToken original in input)
            {
                PreToken piece = original;
                if (_addPrefixSpace && piece.Length > 0 && piece[0] != ' ')
                    piece = new PreToken(" " + piece.ToString());
                if (_split == null) output.Add(piece);
                else _split.SplitOne(piece, output);
            }
        }
    }
}
