using System.Collections.Generic;

namespace PromptCache.Tokenizers.PostProcessors
{
    /// <summary>Adds special tokens around an encoded text when asked (HF <c>post_processor</c>, single-sequence form).</summary>
    internal abstract class PostProcessor
    {
        /// <summary>Returns the ids with the template's special tokens added.</summary>
        public abstract List<int> Apply(List<int> ids);

        /// <summary>How many ids <see cref="Apply"/> adds.</summary>
        public abstract int AddedCount { get; }
    }

    /// <summary>One piece of a <see cref="TemplatePostProcessor"/>: fixed ids, or the sequence itself.</summary>
    internal readonly struct TemplatePiece
    {
        public TemplatePiece(int[]? specialIds) => SpecialIds = specialIds;

        /// <summary>The special token ids, or null for the encoded sequence.</summary>
        public int[]? SpecialIds { get; }
    }

    /// <summary>HF <c>TemplateProcessing</c> (also used for <c>BertProcessing</c>/<c>RobertaProcessing</c>).</summary>
    internal sealed class TemplatePostProcessor : PostProcessor
    {
        private readonly TemplatePiece[] _pieces;

        public TemplatePostProcessor(TemplatePiece[] pieces)
        {
            _pieces = pieces;
            int count = 0;
            foreach (TemplatePiece p in pieces) if (p.SpecialIds != null) count += p.SpecialIds.Length;
            AddedCount = count;
        }

        public override int AddedCount { get; }

        /// <summary>The special ids placed before the sequence (the BOS, typically).</summary>
        public IEnumerable<int> LeadingIds()
        {
            foreach (TemplatePiece p in _pieces)
            {
                if (p.SpecialIds == null) yield break;
                foreach (int id in p.SpecialIds) yield return id;
            }
        }

        /// <summary>The special ids placed after the sequence (the EOS, typically).</summary>
        public IEnumerable<int> TrailingIds()
        {
            bool after = false;
            foreach (TemplatePiece p in _pieces)
            {
                if (p.SpecialIds == null) { after = true; continue; }
                if (after) foreach (int id in p.SpecialIds) yield return id;
            }
        }

        public override List<int> Apply(List<int> ids)
        {
            if (AddedCount == 0) return ids;
            var result = new List<int>(ids.Count + AddedCount);
            foreach (TemplatePiece p in _pieces)
            {
                if (p.SpecialIds == null) result.AddRange(ids);
                else result.AddRange(p.SpecialIds);
            }
            return result;
        }
    }

    /// <summary>HF <c>Sequence</c> of post-processors (Llama 3: ByteLevel then TemplateProcessing).</summary>
    internal sealed class SequencePostProcessor : PostProcessor
    {
        private readonly PostProcessor[] _stages;

        public SequencePostProcessor(PostProcessor[] stages)
        {
            _stages = stages;
            foreach (PostProcessor s in stages) AddedCount += s.AddedCount;
        }

        public override int AddedCount { get; }

        public override List<int> Apply(List<int> ids)
        {
            foreach (PostProcessor s in _stages) ids = s.Apply(ids);
            return ids;
        }
    }
}
