using System;
using System.Collections.Generic;
using System.IO;
using PromptCache.Tokenizers.AddedTokens;
using PromptCache.Tokenizers.Decoders;
using PromptCache.Tokenizers.Json;
using PromptCache.Tokenizers.Models;
using PromptCache.Tokenizers.PreTokenizers;

namespace PromptCache.Tokenizers.Loading
{
    /// <summary>
    /// Loads OpenAI's original GPT-2 files: <c>encoder.json</c> (token -> id) and <c>vocab.bpe</c>
    /// (one merge per line after a <c>#version</c> header). Assembled as HF's GPT-2 tokenizer is:
    /// ByteLevel pre-tokenizer with GPT-2's pattern and no prefix space, ByteLevel decoder, and
    /// <c>&lt;|endoftext|&gt;</c> as the special BOS/EOS/UNK token.
    /// </summary>
    internal static class Gpt2FilesLoader
    {
        public const string EndOfText = "<|endoftext|>";

#if !PROMPTCACHE_TOKENIZERS_NO_FILE_IO
        public static BpeTokenizer Load(string encoderPath, string mergesPath)
        {
            if (!File.Exists(encoderPath)) throw new FileNotFoundException($"GPT-2 encoder.json not found: '{encoderPath}'.", encoderPath);
            if (!File.Exists(mergesPath)) throw new FileNotFoundException($"GPT-2 vocab.bpe not found beside encoder.json: '{mergesPath}'.", mergesPath);
            return FromContents(File.ReadAllBytes(encoderPath), File.ReadAllLines(mergesPath), Path.GetDirectoryName(Path.GetFullPath(encoderPath)) ?? encoderPath);
        }
#endif

        public static BpeTokenizer FromContents(byte[] encoderJson, string[] mergeLines, string source)
        {
            JsonNode encoder = JsonParser.Parse(encoderJson, source);
            if (encoder.Members == null) throw new TokenizerFormatException($"'{source}': encoder.json must be a JSON object of token -> id.");
            var vocab = new Dictionary<string, int>(encoder.Members.Count, StringComparer.Ordinal);
            foreach (KeyValuePair<string, JsonNode> entry in encoder.Members)
            {
                long? id = entry.Value.AsLong();
                if (id == null || id < 0) throw new TokenizerFormatException($"'{source}': encoder.json: the id of \"{entry.Key}\" is not a non-negative integer.");
                vocab[entry.Key] = (int)id.Value;
            }
            return FromVocabAndMerges(vocab, mergeLines, source);
        }

        internal static BpeTokenizer FromVocabAndMerges(Dictionary<string, int> vocab, string[] mergeLines, string? source)
        {
            var table = new PairTable(mergeLines.Length);
            int rank = 0;
            foreach (string rawLine in mergeLines)
            {
                string line = rawLine.TrimEnd('\r');
                if (line.Length == 0 || line.StartsWith("#version", StringComparison.Ordinal)) continue;
                int space = line.IndexOf(' ', 1);
                if (space < 0) throw new TokenizerFormatException($"'{source}': vocab.bpe line '{line}' is not \"left right\".");
                HfTokenizerJsonLoader.AddMerge(table, vocab, line.Substring(0, space), line.Substring(space + 1), rank++, source ?? "vocab.bpe");
            }
            var model = new BpeModel(vocab, table, new BpeOptions { ByteLevel = true });
            var added = new List<AddedToken>();
            var ids = new SpecialTokenIds();
            if (vocab.TryGetValue(EndOfText, out int eot))
            {
                added.Add(new AddedToken(eot, EndOfText, special: true));
                ids.Bos = ids.Eos = ids.Unk = eot;
            }
            return new BpeTokenizer(
                model,
                normalizer: null,
                new ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: true),
                new ByteLevelDecoder(),
                postProcessor: null,
                added,
                ids,
                chatTemplate: null,
                source);
        }
    }
}
