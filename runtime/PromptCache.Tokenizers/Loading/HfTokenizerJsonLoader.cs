using System;
using System.Runtime.CompilerServices;
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
        // Loading runs once, over hundreds of thousands of entries: compile these loops fully
        // optimized at once instead of starting in unoptimized tier 0 (AggressiveOptimization;
        // the numeric value, because netstandard2.0 does not name it).
        private const MethodImplOptions LoadPath = (MethodImplOptions)512;

#if !PROMPTCACHE_TOKENIZERS_NO_FILE_IO
        public static BpeTokenizer Load(string path)
        {
            byte[] bytes = File.ReadAllBytes(path);
            TokenizerConfig? config = TokenizerConfig.TryLoadBeside(path);
            return Read(bytes, path, config);
        }
#endif

        /// <summary>
        /// Streams through the file: the small sections become nodes, while <c>model.vocab</c> and
        /// <c>model.merges</c> (hundreds of thousands of entries for Qwen) go straight into the
        /// vocabulary dictionary and the pair table, which keeps the 11 MB Qwen file fast to load.
        /// </summary>
        internal static BpeTokenizer Read(byte[] bytes, string source, TokenizerConfig? config)
        {
            JsonParser cursor = JsonParser.Open(bytes, source);
            if (cursor.PeekKind() != JsonKind.Object) throw new TokenizerFormatException($"'{source}': the top level of tokenizer.json must be an object.");
            var rootMembers = new List<KeyValuePair<string, JsonNode>>();
            Dictionary<string, int>? vocab = null;
            MergeList? merges = null;
            PairTable? mergeTable = null;
            cursor.Enter(JsonKind.Object);
            bool first = true;
            while (cursor.NextProperty(ref first, out string name))
            {
                if (name != "model" || cursor.PeekKind() != JsonKind.Object)
                {
                    rootMembers.Add(new KeyValuePair<string, JsonNode>(name, cursor.ReadValue()));
                    continue;
                }
                var modelMembers = new List<KeyValuePair<string, JsonNode>>();
                cursor.Enter(JsonKind.Object);
                bool firstModel = true;
                while (cursor.NextProperty(ref firstModel, out string key))
                {
                    if (key == "vocab" && cursor.PeekKind() == JsonKind.Object) vocab = StreamVocab(cursor);
                    else if (key == "merges" && cursor.PeekKind() == JsonKind.Array && vocab != null) mergeTable = StreamMergesIntoTable(cursor, vocab, source);
                    else if (key == "merges" && cursor.PeekKind() == JsonKind.Array) merges = StreamMerges(cursor);
                    else modelMembers.Add(new KeyValuePair<string, JsonNode>(key, cursor.ReadValue()));
                }
                rootMembers.Add(new KeyValuePair<string, JsonNode>(name, JsonNode.Object(modelMembers)));
            }
            cursor.ExpectEnd();
            return Build(JsonNode.Object(rootMembers), source, config, vocab, merges, mergeTable);
        }

        /// <summary>Builds from a parsed document (small files and tests).</summary>
        internal static BpeTokenizer FromJson(JsonNode root, string source, TokenizerConfig? config) => Build(root, source, config, null, null, null);

        private static BpeTokenizer Build(JsonNode root, string source, TokenizerConfig? config, Dictionary<string, int>? streamedVocab, MergeList? streamedMerges, PairTable? streamedTable)
        {
            if (root.Kind != JsonKind.Object) throw new TokenizerFormatException($"'{source}': the top level of tokenizer.json must be an object.");
            JsonNode model = root["model"] ?? throw new TokenizerFormatException($"'{source}': the field 'model' is missing.");
            string type = model["type"]?.AsString() ?? (model["merges"] != null || streamedMerges != null || streamedTable != null ? "BPE" : "(none)");
            if (type != "BPE")
                throw new TokenizerFormatException($"'{source}': model.type '{type}' is not supported (supported: BPE).");

            string? prefix = model["continuing_subword_prefix"]?.AsString();
            string? suffix = model["end_of_word_suffix"]?.AsString();
            if (!string.IsNullOrEmpty(prefix) || !string.IsNullOrEmpty(suffix))
                throw new TokenizerFormatException($"'{source}': model.continuing_subword_prefix / end_of_word_suffix are not supported (supported: null or \"\").");
            if (model["dropout"]?.AsDouble() is double dropout && dropout > 0)
                throw new TokenizerFormatException($"'{source}': model.dropout {dropout} is not supported (supported: null): it makes encoding random.");

            Dictionary<string, int> vocab = streamedVocab ?? ReadVocab(model["vocab"], source);
            PreTokenizer? preTokenizer = HfComponentFactory.PreTokenizer(root["pre_tokenizer"], "pre_tokenizer");
            var options = new BpeOptions
            {
                UnkToken = model["unk_token"]?.AsString(),
                FuseUnk = model["fuse_unk"]?.AsBool() ?? false,
                ByteFallback = model["byte_fallback"]?.AsBool() ?? false,
                IgnoreMerges = model["ignore_merges"]?.AsBool() ?? false,
                ByteLevel = preTokenizer?.IsByteLevel ?? false,
            };
            PairTable merges = streamedTable ?? (streamedMerges != null ? streamedMerges.ToTable(vocab, source) : ReadMerges(model["merges"], vocab, source));
            var bpe = new BpeModel(vocab, merges, options);

            Normalizer? normalizer = HfComponentFactory.Normalizer(root["normalizer"], "normalizer");
            TokenDecoder? decoder = HfComponentFactory.Decoder(root["decoder"], "decoder");
            List<AddedToken> added = ReadAddedTokens(root["added_tokens"], source);
            Func<string, int?> lookup = t =>
            {
                foreach (AddedToken a in added) if (a.Content == t) return a.Id;
                return vocab.TryGetValue(t, out int id) ? id : (int?)null;
            };
            PostProcessor? post = HfComponentFactory.PostProcessor(root["post_processor"], "post_processor");

            SpecialTokenIds ids = SpecialTokenResolver.Resolve(config, post, added, lookup, options.UnkToken);
            return new BpeTokenizer(bpe, normalizer, preTokenizer, decoder, post, added, ids, config?.ChatTemplate, source);
        }

        [MethodImpl(LoadPath)]
        private static Dictionary<string, int> StreamVocab(JsonParser cursor)
        {
            var vocab = new Dictionary<string, int>(1 << 16, StringComparer.Ordinal);
            cursor.Enter(JsonKind.Object);
            bool first = true;
            while (cursor.NextProperty(ref first, out string token))
            {
                long id = cursor.ReadInteger();
                if (id < 0 || id > int.MaxValue) throw cursor.ErrorHere($"model.vocab[\"{token}\"] is not a token id");
                vocab[token] = (int)id;
            }
            return vocab;
        }

        /// <summary>Merges as read from the file: pairs of strings, resolved against the vocabulary afterwards (the file may list merges before the vocabulary).</summary>
        private sealed class MergeList
        {
            public readonly List<string> Left = new List<string>(1 << 16);
            public readonly List<string> Right = new List<string>(1 << 16);

            public PairTable ToTable(Dictionary<string, int> vocab, string source)
            {
                var table = new PairTable(Left.Count);
                for (int rank = 0; rank < Left.Count; rank++) AddMerge(table, vocab, Left[rank], Right[rank], rank, source);
                return table;
            }
        }

        /// <summary>
        /// The usual case (the vocabulary came first): each merge is decoded into reusable char
        /// buffers and looked up without allocating strings (on .NET; netstandard2.0 allocates).
        /// </summary>
        [MethodImpl(LoadPath)]
        private static PairTable StreamMergesIntoTable(JsonParser cursor, Dictionary<string, int> vocab, string source)
        {
            var lefts = new List<int>(1 << 16);
            var rights = new List<int>(1 << 16);
            var mergedIds = new List<int>(1 << 16);
            var lookup = new SpanVocabLookup(vocab);
            char[] a = new char[64];
            char[] b = new char[64];
            char[] joined = new char[128];
            cursor.Enter(JsonKind.Array);
            bool first = true;
            int rank = 0;
            while (cursor.NextItem(ref first))
            {
                int leftStart = 0, leftLength, rightLength;
                char[] rightBuffer;
                int rightStart;
                if (cursor.PeekKind() == JsonKind.String)
                {
                    // Older format: "left right" (a token never contains a plain space).
                    int length = cursor.ReadStringInto(ref a);
                    int space = length > 1 ? Array.IndexOf(a, ' ', 1, length - 1) : -1;
                    if (space < 0) throw new TokenizerFormatException($"'{source}': model.merges[{rank}] '{new string(a, 0, length)}' is not \"left right\".");
                    leftLength = space;
                    rightBuffer = a;
                    rightStart = space + 1;
                    rightLength = length - space - 1;
                }
                else
                {
                    cursor.Enter(JsonKind.Array);
                    bool firstPart = true;
                    if (!cursor.NextItem(ref firstPart)) throw cursor.ErrorHere($"model.merges[{rank}] must be [\"left\", \"right\"]");
                    leftLength = cursor.ReadStringInto(ref a);
                    if (!cursor.NextItem(ref firstPart)) throw cursor.ErrorHere($"model.merges[{rank}] must be [\"left\", \"right\"]");
                    rightLength = cursor.ReadStringInto(ref b);
                    if (cursor.NextItem(ref firstPart)) throw cursor.ErrorHere($"model.merges[{rank}] must be [\"left\", \"right\"]");
                    rightBuffer = b;
                    rightStart = 0;
                }
                if (joined.Length < leftLength + rightLength) joined = new char[(leftLength + rightLength) * 2];
                Array.Copy(a, leftStart, joined, 0, leftLength);
                Array.Copy(rightBuffer, rightStart, joined, leftLength, rightLength);
                if (!lookup.TryGet(a, leftStart, leftLength, out int l) || !lookup.TryGet(rightBuffer, rightStart, rightLength, out int r)
                    || !lookup.TryGet(joined, 0, leftLength + rightLength, out int m))
                {
                    throw new TokenizerFormatException($"'{source}': merge {rank} ('{new string(a, leftStart, leftLength)}' + '{new string(rightBuffer, rightStart, rightLength)}') uses a token missing from the vocabulary.");
                }
                lefts.Add(l);
                rights.Add(r);
                mergedIds.Add(m);
                rank++;
            }
            var table = new PairTable(lefts.Count);
            for (int k = 0; k < lefts.Count; k++) table.Add(lefts[k], rights[k], k, mergedIds[k]);
            return table;
        }

        /// <summary>Vocabulary lookups from a char buffer: allocation-free on .NET (alternate lookup), via a string elsewhere.</summary>
        private readonly struct SpanVocabLookup
        {
#if NET
            private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

            public SpanVocabLookup(Dictionary<string, int> vocab) => _lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();

            public bool TryGet(char[] buffer, int start, int length, out int id) => _lookup.TryGetValue(new ReadOnlySpan<char>(buffer, start, length), out id);
#else
            private readonly Dictionary<string, int> _vocab;

            public SpanVocabLookup(Dictionary<string, int> vocab) => _vocab = vocab;

            public bool TryGet(char[] buffer, int start, int length, out int id) => _vocab.TryGetValue(new string(buffer, start, length), out id);
#endif
        }

        private static MergeList StreamMerges(JsonParser cursor)
        {
            var list = new MergeList();
            cursor.Enter(JsonKind.Array);
            bool first = true;
            int rank = 0;
            while (cursor.NextItem(ref first))
            {
                if (cursor.PeekKind() == JsonKind.String)
                {
                    // Older format: "left right" (a token never contains a plain space).
                    string text = cursor.ReadString();
                    int space = text.IndexOf(' ', 1);
                    if (space < 0) throw new TokenizerFormatException($"model.merges[{rank}] '{text}' is not \"left right\".");
                    list.Left.Add(text.Substring(0, space));
                    list.Right.Add(text.Substring(space + 1));
                }
                else
                {
                    cursor.Enter(JsonKind.Array);
                    bool firstPart = true;
                    if (!cursor.NextItem(ref firstPart)) throw cursor.ErrorHere($"model.merges[{rank}] must be [\"left\", \"right\"]");
                    list.Left.Add(cursor.ReadString());
                    if (!cursor.NextItem(ref firstPart)) throw cursor.ErrorHere($"model.merges[{rank}] must be [\"left\", \"right\"]");
                    list.Right.Add(cursor.ReadString());
                    if (cursor.NextItem(ref firstPart)) throw cursor.ErrorHere($"model.merges[{rank}] must be [\"left\", \"right\"]");
                }
                rank++;
            }
            return list;
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
