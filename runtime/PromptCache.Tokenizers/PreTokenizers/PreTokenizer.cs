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

        /// <summary>True when this stage leaves pieces unchanged (a ByteLevel stage that neither splits nor adds a space).</summary>
        public virtual bool IsIdentity => false;

        /// <summary>
        /// When the whole stage is "every match of one pattern is a piece, and so is every gap",
        /// the scanner that does it: the tokenizer then feeds words to the model as the scanner
        /// finds them, without a list of pieces (the hot path for GPT-2, Qwen and Llama 3).
        /// </summary>
        public virtual SplitScanner? DirectScanner => null;
    }

    /// <summary>HF <c>Sequence</c>: stages applied one after another.</summary>
    internal sealed class SequencePreTokenizer : PreTokenizer
    {
        private readonly PreTokenizer[] _stages;

        public SequencePreTokenizer(PreTokenizer[] stages)
        {
            // Identity stages (Qwen's ByteLevel after its Split) only mark the pipeline byte-level.
            var kept = new List<PreTokenizer>();
            foreach (PreTokenizer stage in stages) if (!stage.IsIdentity) kept.Add(stage);
            _stages = kept.ToArray();
            _byteLevel = false;
            foreach (PreTokenizer stage in stages) _byteLevel |= stage.IsByteLevel;
        }

        private readonly bool _byteLevel;

        public override bool IsIdentity => _stages.Length == 0;

        public override SplitScanner? DirectScanner => _stages.Length == 1 ? _stages[0].DirectScanner : null;

        public override bool IsByteLevel => _byteLevel;

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
