using System.Collections.Generic;

namespace PromptCache.Tokenizers.PreTokenizers
{
    /// <summary>
    /// Splits text into the pieces (words) the model encodes independently, like the HF
    /// <c>pre_tokenizer</c> of the same name.
    /// </summary>
    internal abstract class PreTokenizer
    {
        /// <summary>
        /// Splits every piece of <paramref name="input"/> and appends the results to
        /// <paramref name="output"/>, in order.
        /// </summary>
        /// <param name="input">The pieces so far.</param>
        /// <param name="output">Receives the new pieces.</param>
        /// <param name="isFirstSection">
        /// True when the pieces come from the start of the text (before any added token); the
        /// Metaspace "first" prepend scheme needs it.
        /// </param>
        public abstract void Split(List<PreToken> input, List<PreToken> output, bool isFirstSection);

        /// <summary>True when this stage maps text to byte-level characters (the model then encodes UTF-8 bytes).</summary>
        public virtual bool IsByteLevel => false;
    }

    /// <summary>HF <c>Sequence</c>: stages applied one after another.</summary>
    internal sealed class SequencePreTokenizer : PreTokenizer
    {
        private readonly PreTokenizer[] _stages;

        public SequencePreTokenizer(PreTokenizer[] stages) => _stages = stages;

        public override bool IsByteLevel
        {
            get
            {
                foreach (PreTokenizer stage in _stages) if (stage.IsByteLevel) return true;
                return false;
            }
        }

        public override void Split(List<PreToken> input, List<PreToken> output, bool isFirstSection)
        {
            if (_stages.Length == 0)
            {
                output.AddRange(input);
                return;
            }
            List<PreToken> current = input;
            for (int k = 0; k < _stages.Length; k++)
            {
                List<PreToken> target = k == _stages.Length - 1 ? output : new List<PreToken>(current.Count * 2);
                _stages[k].Split(current, target, isFirstSection);
                current = target;
            }
        }
    }
}
