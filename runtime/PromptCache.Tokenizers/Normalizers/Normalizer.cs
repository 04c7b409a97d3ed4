using System.Text;
using System.Text.RegularExpressions;

namespace PromptCache.Tokenizers.Normalizers
{
    /// <summary>Rewrites text before pre-tokenization, like the HF <c>normalizer</c> of the same name.</summary>
    internal abstract class Normalizer
    {
        /// <summary>Returns the normalized text (the same instance when nothing changes).</summary>
        public abstract string Normalize(string text);
    }

    /// <summary>HF <c>NFC</c>, <c>NFD</c>, <c>NFKC</c>, <c>NFKD</c>.</summary>
    internal sealed class UnicodeFormNormalizer : Normalizer
    {
        private readonly NormalizationForm _form;

        public UnicodeFormNormalizer(NormalizationForm form) => _form = form;

        public override string Normalize(string text)
        {
            // IsNormalized is a fast scan for already-normalized text (all ASCII, most real text),
            // so the common case allocates nothing. Text with lone surrogates cannot be normalized
            // by .NET; HF never sees such text (Rust strings are valid UTF-8), so keep it as-is.
            try
            {
                return text.IsNormalized(_form) ? text : text.Normalize(_form);
            }
            catch (System.ArgumentException)
            {
                return text;
            }
        }
    }

    /// <summary>HF <c>Prepend</c>: adds a prefix to non-empty text.</summary>
    internal sealed class PrependNormalizer : Normalizer
    {
        private readonly string _prefix;

        public PrependNormalizer(string prefix) => _prefix = prefix;

        public override string Normalize(string text) => text.Length == 0 ? text : _prefix + text;
    }

    /// <summary>HF <c>Replace</c>: replaces every occurrence of a literal string or a regex.</summary>
    internal sealed class ReplaceNormalizer : Normalizer
    {
        private readonly string? _literal;
        private readonly Regex? _regex;
        private readonly string _content;

        public ReplaceNormalizer(string? literal, Regex? regex, string content)
        {
            _literal = literal;
            _regex = regex;
            _content = content;
        }

        public override string Normalize(string text)
        {
            if (_literal != null) return _literal.Length == 0 ? text : text.Replace(_literal, _content);
            return _regex!.Replace(text, _content.Replace("$", "$$"));
        }
    }

    /// <summary>HF <c>Lowercase</c>.</summary>
    internal sealed class LowercaseNormalizer : Normalizer
    {
        public override string Normalize(string text) => text.ToLowerInvariant();
    }

    /// <summary>HF <c>Sequence</c>: normalizers applied in order.</summary>
    internal sealed class SequenceNormalizer : Normalizer
    {
        private readonly Normalizer[] _stages;

        public SequenceNormalizer(Normalizer[] stages) => _stages = stages;

        public override string Normalize(string text)
        {
            foreach (Normalizer stage in _stages) text = stage.Normalize(text);
            return text;
        }
    }
}
