using System;
using System.Collections.Generic;
using System.Text;
using PromptCache.Tokenizers.AddedTokens;
using PromptCache.Tokenizers.Decoders;
using PromptCache.Tokenizers.Gguf;
using PromptCache.Tokenizers.Models;
using PromptCache.Tokenizers.Normalizers;
using PromptCache.Tokenizers.PostProcessors;
using PromptCache.Tokenizers.PreTokenizers;

namespace PromptCache.Tokenizers.Loading
{
    /// <summary>
    /// Builds a tokenizer from the vocabulary embedded in a GGUF file (llama.cpp's
    /// <c>tokenizer.ggml.*</c> keys). The ids are the GGUF's own token indices.
    /// </summary>
    internal static class GgufVocabularyLoader
    {
        // llama.cpp token types.
        private const int TypeNormal = 1;
        private const int TypeUnknown = 2;
        private const int TypeControl = 3;
        private const int TypeUserDefined = 4;

#if !PROMPTCACHE_TOKENIZERS_NO_FILE_IO
        public static BpeTokenizer Load(string path) => FromGguf(GgufFile.Read(path));
#endif

        internal static BpeTokenizer FromGguf(GgufFile gguf)
        {
            string model = gguf.GetRequired<string>("tokenizer.ggml.model");
            string[] tokens = gguf.GetRequired<string[]>("tokenizer.ggml.tokens");
            int[]? types = gguf.Get<int[]?>("tokenizer.ggml.token_type", null);
            var vocab = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
            for (int id = 0; id < tokens.Length; id++)
            {
                // Duplicate spellings happen in some GGUFs; the first id wins, as in llama.cpp.
                if (!vocab.ContainsKey(tokens[id])) vocab[tokens[id]] = id;
            }

            var added = new List<AddedToken>();
            if (types != null)
            {
                for (int id = 0; id < tokens.Length && id < types.Length; id++)
                {
                    int type = types[id];
                    if (type == TypeControl || type == TypeUnknown) added.Add(new AddedToken(id, tokens[id], special: true));
                    else if (type == TypeUserDefined) added.Add(new AddedToken(id, tokens[id], special: false));
                }
            }

            var ids = new SpecialTokenIds
            {
                Bos = OptionalId(gguf, "tokenizer.ggml.bos_token_id"),
                Eos = OptionalId(gguf, "tokenizer.ggml.eos_token_id"),
                Unk = OptionalId(gguf, "tokenizer.ggml.unknown_token_id"),
                Pad = OptionalId(gguf, "tokenizer.ggml.padding_token_id"),
            };
            string? chatTemplate = gguf.Get<string?>("tokenizer.chat_template", null);

            switch (model)
            {
                case "llama":
                    return SentencePiece(gguf, tokens, types, vocab, added, ids, chatTemplate);
                case "gpt2":
                    return ByteLevel(gguf, vocab, added, ids, chatTemplate);
                default:
                    throw new TokenizerFormatException($"'{gguf.Path}': tokenizer.ggml.model '{model}' is not supported (supported: llama, gpt2).");
            }
        }

        /// <summary>
        /// "llama": SentencePiece BPE driven by scores: the adjacent pair whose concatenation is the
        /// best-scoring vocabulary entry merges first (ties: leftmost). That is a merge-rank BPE
        /// whose rank is the merged token's score order, so we build the pair table from the
        /// vocabulary and reuse the one BPE engine.
        /// </summary>
        private static BpeTokenizer SentencePiece(GgufFile gguf, string[] tokens, int[]? types, Dictionary<string, int> vocab, List<AddedToken> added, SpecialTokenIds ids, string? chatTemplate)
        {
            float[] scores = gguf.GetRequired<float[]>("tokenizer.ggml.scores");
            var candidates = new List<int>();
            for (int id = 0; id < tokens.Length; id++)
            {
                bool normal = types == null || id >= types.Length || types[id] == TypeNormal;
                if (normal && tokens[id].Length >= 2 && id < scores.Length) candidates.Add(id);
            }
            // Higher score merges first; equal scores share a rank so the leftmost pair wins, as in llama.cpp.
            candidates.Sort((a, b) => scores[b].CompareTo(scores[a]) != 0 ? scores[b].CompareTo(scores[a]) : a.CompareTo(b));
            var table = new PairTable(candidates.Count * 4);
            int rank = -1;
            float previous = float.NaN;
            foreach (int id in candidates)
            {
                if (!(scores[id] == previous)) { rank++; previous = scores[id]; }
                string token = tokens[id];
                for (int split = 1; split < token.Length; split++)
                {
                    if (char.IsLowSurrogate(token[split])) continue; // never split a surrogate pair
                    if (vocab.TryGetValue(token.Substring(0, split), out int left) && vocab.TryGetValue(token.Substring(split), out int right))
                        table.Add(left, right, rank, id);
                }
            }

            bool addSpacePrefix = gguf.Get("tokenizer.ggml.add_space_prefix", true);
            var options = new BpeOptions { ByteFallback = true, UnkToken = ids.Unk is int unk ? tokens[unk] : null };
            var bpe = new BpeModel(vocab, table, options);
            var normalizers = new List<Normalizer>();
            if (addSpacePrefix) normalizers.Add(new PrependNormalizer("\u2581"));
            normalizers.Add(new ReplaceNormalizer(" ", null, "\u2581"));
            var decoders = new List<TokenDecoder> { new ReplaceDecoder("\u2581", " "), new ByteFallbackDecoder(), new FuseDecoder() };
            if (addSpacePrefix) decoders.Add(new StripDecoder(' ', 1, 0));
            PostProcessor? post = Post(gguf, ids, defaultAddBos: true);
            return new BpeTokenizer(bpe, new SequenceNormalizer(normalizers.ToArray()), null, new SequenceDecoder(decoders.ToArray()), post, added, ids, chatTemplate, gguf.Path);
        }

        /// <summary>"gpt2": byte-level BPE with explicit merges; the split pattern comes from <c>tokenizer.ggml.pre</c>.</summary>
        private static BpeTokenizer ByteLevel(GgufFile gguf, Dictionary<string, int> vocab, List<AddedToken> added, SpecialTokenIds ids, string? chatTemplate)
        {
            string[] merges = gguf.GetRequired<string[]>("tokenizer.ggml.merges");
            var table = new PairTable(merges.Length);
            for (int rank = 0; rank < merges.Length; rank++)
            {
                string line = merges[rank];
                int space = line.IndexOf(' ', 1);
                if (space < 0) throw new TokenizerFormatException($"'{gguf.Path}': tokenizer.ggml.merges[{rank}] '{line}' is not \"left right\".");
                HfTokenizerJsonLoader.AddMerge(table, vocab, line.Substring(0, space), line.Substring(space + 1), rank, gguf.Path);
            }
            string pre = gguf.Get("tokenizer.ggml.pre", "default");
            PreTokenizer preTokenizer;
            Normalizer? normalizer = null;
            bool ignoreMerges = false;
            switch (pre)
            {
                case "default":
                case "gpt2":
                case "gpt-2":
                    preTokenizer = new ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: true);
                    break;
                case "llama3":
                case "llama-v3":
                case "llama-bpe":
                    preTokenizer = SplitThenByteLevel(QwenScanner.Llama3Pattern);
                    ignoreMerges = true;
                    break;
                case "qwen2":
                    preTokenizer = SplitThenByteLevel(QwenScanner.QwenPattern);
                    normalizer = new UnicodeFormNormalizer(NormalizationForm.FormC);
                    break;
                default:
                    throw new TokenizerFormatException($"'{gguf.Path}': tokenizer.ggml.pre '{pre}' is not supported (supported: default, gpt2, llama3, llama-bpe, qwen2).");
            }
            var bpe = new BpeModel(vocab, table, new BpeOptions { ByteLevel = true, IgnoreMerges = ignoreMerges });
            PostProcessor? post = Post(gguf, ids, defaultAddBos: false);
            return new BpeTokenizer(bpe, normalizer, preTokenizer, new ByteLevelDecoder(), post, added, ids, chatTemplate, gguf.Path);
        }

        private static PreTokenizer SplitThenByteLevel(string pattern) => new SequencePreTokenizer(new PreTokenizer[]
        {
            new SplitPreTokenizer(SplitScanner.ForRegex(pattern), SplitBehavior.Isolated, invert: false),
            new ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: false),
        });

        private static PostProcessor? Post(GgufFile gguf, SpecialTokenIds ids, bool defaultAddBos)
        {
            bool addBos = gguf.Get("tokenizer.ggml.add_bos_token", defaultAddBos) && ids.Bos != null;
            bool addEos = gguf.Get("tokenizer.ggml.add_eos_token", false) && ids.Eos != null;
            if (!addBos && !addEos) return null;
            var pieces = new List<TemplatePiece>();
            if (addBos) pieces.Add(new TemplatePiece(new[] { ids.Bos!.Value }));
            pieces.Add(new TemplatePiece(null));
            if (addEos) pieces.Add(new TemplatePiece(new[] { ids.Eos!.Value }));
            return new TemplatePostProcessor(pieces.ToArray());
        }

        private static int? OptionalId(GgufFile gguf, string key)
        {
            if (!gguf.Metadata.TryGetValue(key, out object? value)) return null;
            switch (value)
            {
                case long l: return (int)l;
                case ulong u: return (int)u;
                default: throw new TokenizerFormatException($"'{gguf.Path}': metadata '{key}' is a {value.GetType().Name}, expected an integer token id.");
            }
        }
    }
}
