using System;
using System.Collections.Generic;
using PromptCache.Tokenizers.AddedTokens;
using PromptCache.Tokenizers.Decoders;
using PromptCache.Tokenizers.Models;
using PromptCache.Tokenizers.Normalizers;
using PromptCache.Tokenizers.PostProcessors;
using PromptCache.Tokenizers.PreTokenizers;

namespace PromptCache.Tokenizers
{
    /// <summary>
    /// A BPE tokenizer assembled like an HF pipeline: added tokens are matched first, each
    /// remaining section is normalized, pre-tokenized into words, and each word is encoded by the
    /// BPE model; the post-processor adds special tokens on request. Every supported format
    /// (tokenizer.json, GPT-2 files, GGUF vocabularies) loads into this one class.
    /// </summary>
    public sealed class BpeTokenizer : Tokenizer
    {
        private readonly BpeModel _model;
        private readonly Normalizer? _normalizer;
        private readonly PreTokenizer? _preTokenizer;
        private readonly SplitScanner? _directScanner;
        private readonly TokenDecoder? _decoder;
        private readonly PostProcessor? _postProcessor;
        private readonly AddedTokenMatcher _rawMatcher;        // tokens with normalized = false
        private readonly AddedTokenMatcher _normalizedMatcher; // tokens with normalized = true
        private readonly Dictionary<int, AddedToken> _addedById = new Dictionary<int, AddedToken>();
        private readonly Dictionary<string, AddedToken> _addedByContent = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        private readonly int _vocabularySize;

        internal BpeTokenizer(
            BpeModel model,
            Normalizer? normalizer,
            PreTokenizer? preTokenizer,
            TokenDecoder? decoder,
            PostProcessor? postProcessor,
            IReadOnlyList<AddedToken> addedTokens,
            SpecialTokenIds specialIds,
            string? chatTemplate,
            string? sourcePath)
        {
            _model = model;
            _normalizer = normalizer;
            _preTokenizer = preTokenizer != null && preTokenizer.IsIdentity ? null : preTokenizer;
            _directScanner = _preTokenizer?.DirectScanner;
            _decoder = decoder;
            _postProcessor = postProcessor;
            int size = model.VocabularySize;
            var raw = new List<AddedTokenPattern>();
            var normalized = new List<AddedTokenPattern>();
            foreach (AddedToken token in addedTokens)
            {
                _addedById[token.Id] = token;
                _addedByContent[token.Content] = token;
                size = Math.Max(size, token.Id + 1);
                // HF looks for normalized tokens in normalized text, spelled as normalized.
                if (token.Normalized && normalizer != null) normalized.Add(new AddedTokenPattern(token, normalizer.Normalize(token.Content)));
                else if (token.Normalized) normalized.Add(new AddedTokenPattern(token, token.Content));
                else raw.Add(new AddedTokenPattern(token, token.Content));
            }
            _rawMatcher = new AddedTokenMatcher(raw);
            _normalizedMatcher = new AddedTokenMatcher(normalized);
            _vocabularySize = size;
            AddedTokens = addedTokens;
            BosId = specialIds.Bos;
            EosId = specialIds.Eos;
            UnkId = specialIds.Unk;
            PadId = specialIds.Pad;
            ChatTemplate = chatTemplate;
            SourcePath = sourcePath;
        }

        internal BpeModel Model => _model;

        /// <summary>The added tokens (special tokens and user-added words), in file order.</summary>
        public IReadOnlyList<AddedToken> AddedTokens { get; }

        /// <summary>True when words are encoded as UTF-8 bytes (GPT-2, Qwen, Llama 3): every text round-trips exactly.</summary>
        public bool IsByteLevel => _model.Options.ByteLevel;

        /// <inheritdoc />
        public override int VocabularySize => _vocabularySize;

        /// <summary>The ids the post-processor puts before the text when special tokens are added (e.g. BOS).</summary>
        public IReadOnlyList<int> LeadingSpecialIds => _postProcessor is TemplatePostProcessor t ? new List<int>(t.LeadingIds()) : (IReadOnlyList<int>)Array.Empty<int>();

        /// <summary>The ids the post-processor puts after the text when special tokens are added (e.g. EOS).</summary>
        public IReadOnlyList<int> TrailingSpecialIds => _postProcessor is TemplatePostProcessor t ? new List<int>(t.TrailingIds()) : (IReadOnlyList<int>)Array.Empty<int>();

        /// <inheritdoc />
        public override IReadOnlyList<int> EncodeToIds(string text, bool addSpecialTokens = false)
        {
            if (text == null) throw new ArgumentNullException(nameof(text));
            var ids = new List<int>(text.Length / 3 + 4);
            var sections = new List<TextSection>();
            _rawMatcher.Split(text, 0, text.Length, sections);
            var words = new List<PreToken>();
            var pieces = new List<PreToken>(1);
            var normalizedSections = new List<TextSection>();
            foreach (TextSection section in sections)
            {
                if (section.IsToken)
                {
                    ids.Add(section.TokenId);
                    continue;
                }
                string piece = section.Start == 0 && section.Length == text.Length ? text : text.Substring(section.Start, section.Length);
                if (_normalizer != null) piece = _normalizer.Normalize(piece);
                normalizedSections.Clear();
                _normalizedMatcher.Split(piece, 0, piece.Length, normalizedSections);
                foreach (TextSection sub in normalizedSections)
                {
                    if (sub.IsToken)
                    {
                        ids.Add(sub.TokenId);
                        continue;
                    }
                    if (_directScanner != null)
                    {
                        EncodeScanned(piece, sub.Start, sub.End, ids);
                        continue;
                    }
                    words.Clear();
                    if (_preTokenizer == null)
                    {
                        words.Add(new PreToken(piece, sub.Start, sub.Length));
                    }
                    else
                    {
                        pieces.Clear();
                        pieces.Add(new PreToken(piece, sub.Start, sub.Length));
                        _preTokenizer.Split(pieces, words, isFirstSection: section.Start == 0 && sub.Start == 0);
                    }
                    foreach (PreToken word in words) _model.EncodeWord(word.Text, word.Start, word.Length, ids);
                }
            }
            if (addSpecialTokens && _postProcessor != null) ids = _postProcessor.Apply(ids);
            return ids;
        }

        /// <summary>The hot path: words go to the model as the scanner finds them (matches and the gaps between them).</summary>
        private void EncodeScanned(string s, int start, int end, List<int> ids)
        {
            SplitScanner scanner = _directScanner!;
            int pos = start;
            while (pos < end)
            {
                if (!scanner.NextMatch(s, pos, end, out int matchStart, out int matchEnd))
                {
                    _model.EncodeWord(s, pos, end - pos, ids);
                    return;
                }
                if (matchStart > pos) _model.EncodeWord(s, pos, matchStart - pos, ids);
                _model.EncodeWord(s, matchStart, matchEnd - matchStart, ids);
                pos = matchEnd;
            }
        }

        /// <inheritdoc />
        public override string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
        {
            if (ids == null) throw new ArgumentNullException(nameof(ids));
            var tokens = new List<string>();
            foreach (int id in ids)
            {
                if (_addedById.TryGetValue(id, out AddedToken? added))
                {
                    if (skipSpecialTokens && added.Special) continue;
                    tokens.Add(added.Content);
                    continue;
                }
                string? token = _model.IdToToken(id);
                if (token == null) continue; // HF skips ids outside the vocabulary
                tokens.Add(token);
            }
            if (_decoder == null) return string.Join(" ", tokens);
            return string.Concat(_decoder.DecodeChain(tokens));
        }

        /// <inheritdoc />
        public override string? IdToToken(int id) => _addedById.TryGetValue(id, out AddedToken? added) ? added.Content : _model.IdToToken(id);

        /// <inheritdoc />
        public override int? TokenToId(string token)
        {
            if (_addedByContent.TryGetValue(token, out AddedToken? added)) return added.Id;
            return _model.TryGetId(token, out int id) ? id : (int?)null;
        }

        /// <inheritdoc />
        public override bool IsSpecialToken(int id) => _addedById.TryGetValue(id, out AddedToken? added) && added.Special;
    }

    /// <summary>The BOS/EOS/UNK/PAD ids a loader found.</summary>
    internal struct SpecialTokenIds
    {
        public int? Bos;
        public int? Eos;
        public int? Unk;
        public int? Pad;
    }
}
