using System;
using System.Collections.Generic;
using PromptCache.Tokenizers.AddedTokens;
using PromptCache.Tokenizers.PostProcessors;

namespace PromptCache.Tokenizers.Loading
{
    /// <summary>
    /// Finds the BOS/EOS/UNK/PAD ids of a tokenizer.json: from <c>tokenizer_config.json</c> when it
    /// is there (authoritative), otherwise from the post-processor template and the conventional
    /// names of the families we support.
    /// </summary>
    internal static class SpecialTokenResolver
    {
        private static readonly string[] BosNames = { "<s>", "<|begin_of_text|>", "<|startoftext|>", "<bos>" };
        private static readonly string[] EosNames = { "</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>" };

        public static SpecialTokenIds Resolve(TokenizerConfig? config, PostProcessor? post, List<AddedToken> added, Func<string, int?> lookup, string? modelUnk)
        {
            var ids = new SpecialTokenIds();
            if (config != null)
            {
                ids.Bos = Id(config.BosToken, lookup);
                ids.Eos = Id(config.EosToken, lookup);
                ids.Unk = Id(config.UnkToken, lookup);
                ids.Pad = Id(config.PadToken, lookup);
            }
            else
            {
                if (post is TemplatePostProcessor template)
                {
                    foreach (int id in template.LeadingIds()) { ids.Bos = id; break; }
                }
                ids.Bos ??= FirstAdded(BosNames, added);
                ids.Eos = FirstAdded(EosNames, added);
            }
            ids.Unk ??= Id(modelUnk, lookup);
            return ids;
        }

        private static int? Id(string? token, Func<string, int?> lookup) => token == null ? null : lookup(token);

        private static int? FirstAdded(string[] names, List<AddedToken> added)
        {
            foreach (string name in names)
                foreach (AddedToken token in added)
                    if (token.Content == name) return token.Id;
            return null;
        }
    }
}
