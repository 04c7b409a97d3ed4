using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using PromptCache.Tokenizers.Loading;

namespace PromptCache.Tokenizers
{
    /// <summary>
    /// A model's tokenizer: text to token ids and back, exactly as the model's own (HF) tokenizer
    /// does it. Shaped like Microsoft.ML.Tokenizers' <c>Tokenizer</c>. Instances are immutable and
    /// safe to use from several threads.
    /// </summary>
    /// <remarks>
    /// <c>addSpecialTokens</c> defaults to false (unlike HF) because prompt layouts count and
    /// concatenate segments: the BOS belongs to the whole prompt, added once, not to each segment.
    /// </remarks>
    public abstract class Tokenizer
    {
        /// <summary>Encodes text to token ids.</summary>
        /// <param name="text">The text.</param>
        /// <param name="addSpecialTokens">Add the post-processor's special tokens (e.g. BOS for Llama 2 and Mistral).</param>
        public abstract IReadOnlyList<int> EncodeToIds(string text, bool addSpecialTokens = false);

        /// <summary>
        /// Encodes UTF-8 bytes. Invalid sequences become U+FFFD first, as HF's Python binding does
        /// when handed invalid bytes with <c>errors="replace"</c> (Rust strings are always valid).
        /// </summary>
        public IReadOnlyList<int> EncodeToIds(byte[] utf8, bool addSpecialTokens = false)
        {
            if (utf8 == null) throw new ArgumentNullException(nameof(utf8));
            return EncodeToIds(Encoding.UTF8.GetString(utf8), addSpecialTokens);
        }

        /// <summary>Encodes text to token strings (the vocabulary spellings, e.g. "Ġworld" or "▁world").</summary>
        public IReadOnlyList<string> EncodeToTokens(string text, bool addSpecialTokens = false)
        {
            IReadOnlyList<int> ids = EncodeToIds(text, addSpecialTokens);
            var tokens = new List<string>(ids.Count);
            foreach (int id in ids) tokens.Add(IdToToken(id) ?? throw new InvalidOperationException($"Token id {id} has no text."));
            return tokens;
        }

        /// <summary>Counts the tokens of a text.</summary>
        public virtual int CountTokens(string text, bool addSpecialTokens = false) => EncodeToIds(text, addSpecialTokens).Count;

        /// <summary>Decodes ids to text.</summary>
        /// <param name="ids">Token ids.</param>
        /// <param name="skipSpecialTokens">Leave special tokens (BOS, EOS, chat markers) out of the text.</param>
        public abstract string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false);

#if NET
        /// <summary>Decodes ids to text.</summary>
        public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false) => Decode((IEnumerable<int>)ids.ToArray(), skipSpecialTokens);
#endif

        /// <summary>
        /// Starts an incremental decoder for generated ids: it returns text only once it is
        /// complete (never half a UTF-8 character or a half-fused byte sequence).
        /// </summary>
        public StreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = false) => new StreamingDecoder(this, skipSpecialTokens);

        /// <summary>The number of token ids (largest id + 1, added tokens included).</summary>
        public abstract int VocabularySize { get; }

        /// <summary>The vocabulary spelling of an id, or null when the id is unknown.</summary>
        public abstract string? IdToToken(int id);

        /// <summary>The id of a vocabulary spelling (added tokens included), or null.</summary>
        public abstract int? TokenToId(string token);

        /// <summary>True for special (control) tokens such as BOS, EOS and chat markers.</summary>
        public abstract bool IsSpecialToken(int id);

        /// <summary>The beginning-of-sequence token, when the model has one.</summary>
        public int? BosId { get; protected set; }

        /// <summary>The end-of-sequence token, when known.</summary>
        public int? EosId { get; protected set; }

        /// <summary>The unknown token, when the model has one.</summary>
        public int? UnkId { get; protected set; }

        /// <summary>The padding token, when known.</summary>
        public int? PadId { get; protected set; }

        /// <summary>The spelling of <see cref="BosId"/>.</summary>
        public string? BosToken => BosId is int id ? IdToToken(id) : null;

        /// <summary>The spelling of <see cref="EosId"/>.</summary>
        public string? EosToken => EosId is int id ? IdToToken(id) : null;

        /// <summary>
        /// The model's chat template (Jinja text) from <c>tokenizer_config.json</c> beside the
        /// tokenizer file or from the GGUF metadata, or null when none was found.
        /// </summary>
        public string? ChatTemplate { get; protected set; }

        /// <summary>The file or folder this tokenizer was loaded from (null when built in memory).</summary>
        public string? SourcePath { get; protected set; }

#if !PROMPTCACHE_TOKENIZERS_NO_FILE_IO
        /// <summary>
        /// Loads a tokenizer: an HF <c>tokenizer.json</c> (or a folder holding one), a folder with
        /// GPT-2's <c>encoder.json</c> and <c>vocab.bpe</c>, or a <c>.gguf</c> model file.
        /// </summary>
        /// <exception cref="FileNotFoundException">Nothing usable is at <paramref name="path"/>.</exception>
        /// <exception cref="TokenizerFormatException">The file names an unsupported model, pre-tokenizer, normalizer or decoder.</exception>
        /// <exception cref="InvalidDataException">The file is not valid JSON or GGUF.</exception>
        public static Tokenizer Load(string path) => TokenizerLoader.Load(path);
#endif

        // In-memory factories: for hosts that must not touch files themselves, such as the source
        // generator (Roslyn analyzers get file contents as AdditionalText). Define
        // PROMPTCACHE_TOKENIZERS_NO_FILE_IO when linking these sources into an analyzer to drop the
        // path-based APIs above.

        /// <summary>Builds a tokenizer from the contents of an HF <c>tokenizer.json</c> (and optionally its <c>tokenizer_config.json</c>).</summary>
        /// <param name="tokenizerJson">The UTF-8 bytes of tokenizer.json.</param>
        /// <param name="tokenizerConfigJson">The UTF-8 bytes of tokenizer_config.json (special-token names, chat template), or null.</param>
        /// <param name="source">A name for error messages.</param>
        public static Tokenizer FromHfTokenizerJson(byte[] tokenizerJson, byte[]? tokenizerConfigJson = null, string source = "tokenizer.json")
        {
            if (tokenizerJson == null) throw new ArgumentNullException(nameof(tokenizerJson));
            TokenizerConfig? config = tokenizerConfigJson == null ? null : TokenizerConfig.FromJson(tokenizerConfigJson, "tokenizer_config.json");
            return HfTokenizerJsonLoader.Read(tokenizerJson, source, config);
        }

        /// <summary>Builds a tokenizer from the text of an HF <c>tokenizer.json</c> (and optionally its <c>tokenizer_config.json</c>).</summary>
        public static Tokenizer FromHfTokenizerJson(string tokenizerJson, string? tokenizerConfigJson = null, string source = "tokenizer.json") =>
            FromHfTokenizerJson(
                Encoding.UTF8.GetBytes(tokenizerJson ?? throw new ArgumentNullException(nameof(tokenizerJson))),
                tokenizerConfigJson == null ? null : Encoding.UTF8.GetBytes(tokenizerConfigJson),
                source);

        /// <summary>Builds a GPT-2 tokenizer from the contents of <c>encoder.json</c> and <c>vocab.bpe</c>.</summary>
        public static Tokenizer FromGpt2Files(byte[] encoderJson, string vocabBpe, string source = "gpt2")
        {
            if (encoderJson == null) throw new ArgumentNullException(nameof(encoderJson));
            if (vocabBpe == null) throw new ArgumentNullException(nameof(vocabBpe));
            return Gpt2FilesLoader.FromContents(encoderJson, vocabBpe.Split('\n'), source);
        }

        /// <summary>Builds a tokenizer from the vocabulary in a GGUF stream (read from its start; tensor data is not read).</summary>
        public static Tokenizer FromGguf(Stream gguf, string source = "model.gguf")
        {
            if (gguf == null) throw new ArgumentNullException(nameof(gguf));
            return GgufVocabularyLoader.FromGguf(Gguf.GgufFile.Read(gguf, source));
        }
    }
}
