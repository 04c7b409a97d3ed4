namespace PromptCache.Tokenizers.Models
{
    /// <summary>The settings of a BPE model, named as in HF <c>tokenizer.json</c>'s <c>model</c> object.</summary>
    internal sealed class BpeOptions
    {
        /// <summary>The unknown token (<c>unk_token</c>), or null when characters outside the vocabulary are dropped.</summary>
        public string? UnkToken { get; set; }

        /// <summary><c>fuse_unk</c>: consecutive unknown characters become one unknown token.</summary>
        public bool FuseUnk { get; set; }

        /// <summary><c>byte_fallback</c>: characters outside the vocabulary become <c>&lt;0xXX&gt;</c> byte tokens.</summary>
        public bool ByteFallback { get; set; }

        /// <summary><c>ignore_merges</c>: a word that is itself in the vocabulary is one token (Llama 3).</summary>
        public bool IgnoreMerges { get; set; }

        /// <summary>Words are UTF-8 bytes in GPT-2's byte alphabet (set when the pre-tokenizer is ByteLevel).</summary>
        public bool ByteLevel { get; set; }
    }
}
