using System.Collections.Generic;

namespace PromptCache.Tokenizers.PreTokenizers
{
    /// <summary>When <see cref="MetaspacePreTokenizer"/> adds the replacement character in front of a piece (HF <c>prepend_scheme</c>).</summary>
    internal enum PrependScheme
    {
        Always,
        First,
        Never,
    }

    /// <summary>
    /// HF <c>Metaspace</c> (SentencePiece style): spaces become the replacement character (▁), one
    /// is prepended according to <see cref="PrependScheme"/>, and, when <c>split</c> is set, the
    /// text is split before each replacement character.
    /// </summary>
    internal sealed class MetaspacePreTokenizer : PreTokenizer
    {
        private readonly char _replacement;
        private readonly PrependScheme _scheme;
        private readonly bool _split;

        public MetaspacePreTokenizer(char replacement, PrependScheme scheme, bool split)
        {
            _replacement = replacement;
            _scheme = scheme;
            _split = split;
        }

        public override void Split(List<PreToken> input, List<PreToken> output, bool isFirstSection)
        {
            for (int k = 0; k < input.Count; k++)
            {
                string text = input[k].ToString().Replace(' ', _replacement);
                bool prepend = _scheme == PrependScheme.Always || (_scheme == PrependScheme.First && isFirstSection && k == 0);
                if (prepend && (text.Length == 0 || text[0] != _replacement)) text = _replacement + text;
                if (!_split)
                {
                    output.Add(new PreToken(text));
                    continue;
                }
                // Split before each replacement character (HF: MergedWithNext on the replacement).
                int start = 0;
                for (int i = 1; i < text.Length; i++)
                {
                    if (text[i] == _replacement && i > start)
                    {
                        output.Add(new PreToken(text, start, i - start));
                        start = i;
                    }
                }
                if (text.Length > start) output.Add(new PreToken(text, start, text.Length - start));
            }
        }
    }
}
