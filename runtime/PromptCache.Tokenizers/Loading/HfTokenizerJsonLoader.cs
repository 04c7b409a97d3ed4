using System;
using System.Collections.Generic;
using System.IO;
using PromptCache.Tokenizers.AddedTokens;
using PromptCache.Tokenizers.Decoders;
using PromptCache.Tokenizers.Json;
using PromptCache.Tokenizers.Models;
using PromptCache.Tokenizers.Normalizers;
using PromptCache.Tokenizers.PostProcessors;
using PromptCache.Tokenizers.PreTokenizers;

namespace PromptCache.Tokenizers.Loading
{
    /// <summary>Loads an HF <c>tokenizer.json</c> whose model is BPE (byte-level or SentencePiece-style).</summary>
    internal static class HfTokenizerJsonLoader
    {
        public static BpeTokenizer Load(string path)
        {
            byte[] bytes = File.ReadAllBytes(path);
            JsonNode root = JsonParser.Parse(bytes, path);
            TokenizerConfig? config = TokenizerConfig.TryLoadBeside(path);
            return FromJson(root, path, config);
        }

        internal static BpeTokenizer FromJson(JsonNode root, string source, TokenizerConfig? config)
        {
            if (root.Kind != JsonKind.Object) throw new TokenizerFormatException($"'{source}': the top level of tokenizer.json must be an object.");
            JsonNode model = root["model"] ?? throw new TokenizerFormatException($"'{source}': the field 'model' is missing.");
            string type = model["type"]?.AsString() ?? (model["merges"] != null ? "BPE" : "(none)");
            if (type != "BPE")
                throw new TokenizerFormatException($"'{source}': model.type '{type}' is not supported (supported: BPE).");

            string? prefix = model["continuing_subword_prefix"]?.AsString();
            string? suffix = model["end_of_word_suffix"]?.AsString();
            if (!string.IsNullOrEmpty(prefix) || !string.IsNullOrEmpty(suffix))
                throw new TokenizerFormatException($"'{source}': model.continuing_subword_prefix / end_of_word_suffix are not supported (supported: null or \"\").");
            if (model["dropout"]?.AsDouble() is double dropout && dropout > 0)
                throw new TokenizerFormatException($"'{source}': model.dropout {dropout} is not supported (supported: null): it makes encoding random.");

            Dictionary<string, int> vocab = ReadVocab(model["vocab"], source);
            PreTokenizer? preTokenizer = HfComponentFactory.PreTokenizer(root["pre_tokenizer"], "pre_tokenizer");
            var options = new BpeOptions
            {
                UnkToken = model["unk_token"]?.AsString(),
                FuseUnk = model["fuse_unk"]?.AsBool() ?? false,
                ByteFallback = model["byte_fallback"]?.AsBool() ?? false,
                IgnoreMerges = model["ignore_merges"]?.AsBool() ?? false,
                ByteLevel = preTokenizer?.IsByteLevel ?? false,
            };
            PairTable merges = ReadMerges(model["merges"], vocab, source);
            var bpe = new BpeModel(vocab, merges, options);

            Normalizer? normalizer = HfComponentFactory.Normalizer(root["normalizer"], "normalizer");
            TokenDecoder? decoder = HfComponentFactory.Decoder(root["decoder"], "decoder");
            List<AddedToken> added = ReadAddedTokens(root["added_tokens"], source);
            Func<string, int?> lookup = t =>
            {
                foreach (AddedToken a in added) if (a.Content == t) return a.Id;
                return vocab.TryGetValue(t, out int id) ? id : (int?)null;
            };
            PostProcessor? post = HfComponentFactory.PostProcessor(root["post_processor"], "post_processor", lookup);

            SpecialTokenIds ids = SpecialTokenResolver.Resolve(config, post, added, lookup, options.UnkToken);
            return new BpeTokenizer(bpe, normalizer, preTokenizer, decoder, post, added, ids, config?.ChatTemplate, source);
        }

        private static Dictionary<string, int> ReadVocab(JsonNode? node, string source)
        {
            if (node?.Members == null) throw new TokenizerFormatException($"'{source}': model.vocab is missing or not an object.");
            var vocab = new Dictionary<string, int>(node.Members.Count, StringComparer.Ordinal);
            foreach (KeyValuePair<string, JsonNode> entry in node.Members)
            {
                long? id = entry.Value.AsLong();
                if (id == null || id < 0 || id > int.MaxValue) throw new TokenizerFormatException($"'{source}': model.vocab[\"{entry.Key}\"] is not a token id.");
                vocab[entry.Key] = (int)id.Value;
            }
            return vocab;
        }

        private static PairTable ReadMerges(JsonNode? node, Dictionary<string, int> vocab, string source)
        {
            List<JsonNode> items = node?.Items ?? new List<JsonNode>();
            var table = new PairTable(items.Count);
            for (int rank = 0; rank < items.Count; rank++)
            {
                JsonNode item = items[rank];
                string left, right;
                if (item.Kind == JsonKind.String)
                {
                    // Older format: "left right" (a token never contains a plain space).
                    string text = item.Text!;
                    int space = text.IndexOf(' ', 1);
                    if (space < 0) throw new TokenizerFormatException($"'{source}': model.merges[{rank}] '{text}' is not \"left right\".");
                    left = text.Substring(0, space);
                    right = text.Substring(space + 1);
                }
                else if (item.Items != null && item.Items.Count == 2 && item.Items[0].Kind == JsonKind.String && item.Items[1].Kind == JsonKind.String)
                {
                    left = item.Items[0].Text!;
                    right = item.Items[1].Text!;
                }
                else
                {
                    throw new TokenizerFormatException($"'{source}': model.merges[{rank}] must be \"left right\" or [\"left\", \"right\"].");
                }
                AddMerge(table, vocab, left, right, rank, source);
            }
            return table;
        }

        internal static void AddMerge(PairTable table, Dictionary<string, int> vocab, string left, string right, int rank, string source)
        {
            if (!vocab.TryGetValue(left, out int l) || !vocab.TryGetValue(right, out int r) || !vocab.TryGetValue(left + right, out int m))
                throw new TokenizerFormatException($"'{source}': merge {rank} ('{left}' + '{right}') uses a token missing from the vocabulary.");
            table.Add(l, r, rank, m);
        }

        private static List<AddedToken> ReadAddedTokens(JsonNode? node, string source)
        {
            var result = new List<AddedToken>();
            if (node?.Items == null) return result;
            for (int i = 0; i < node.Items.Count; i++)
            {
                JsonNode t = node.Items[i];
                string field = $"'{source}': added_tokens[{i}]";
                long id = t["id"]?.AsLong() ?? throw new TokenizerFormatException(field + ".id is missing.");
                string content = t["content"]?.AsString() ?? throw new TokenizerFormatException(field + ".content is missing.");
                bool special = t["special"]?.AsBool() ?? false;
                result.Add(new AddedToken(
                    (int)id,
                    content,
                    special,
                    normalized: t["normalized"]?.AsBool() ?? !special,
                    lstrip: t["lstrip"]?.AsBool() ?? false,
                    rstrip: t["rstrip"]?.AsBool() ?? false,
                    singleWord: t["single_word"]?.AsBool() ?? false));
            }
            return result;
        }
    }
}
