using System.Collections.Generic;
using System.IO;
using PromptCache.Tokenizers.Json;

namespace PromptCache.Tokenizers.Loading
{
    /// <summary>
    /// The parts of HF <c>tokenizer_config.json</c> this library uses: the special-token names and
    /// the chat template. It sits beside <c>tokenizer.json</c> in a model folder.
    /// </summary>
    internal sealed class TokenizerConfig
    {
        public string? BosToken { get; private set; }

        public string? EosToken { get; private set; }

        public string? UnkToken { get; private set; }

        public string? PadToken { get; private set; }

        public string? ChatTemplate { get; private set; }

#if !PROMPTCACHE_TOKENIZERS_NO_FILE_IO
        /// <summary>Reads <c>tokenizer_config.json</c> from the folder of <paramref name="tokenizerPath"/>, or returns null when there is none.</summary>
        public static TokenizerConfig? TryLoadBeside(string tokenizerPath)
        {
            string? folder = Path.GetDirectoryName(Path.GetFullPath(tokenizerPath));
            if (folder == null) return null;
            string path = Path.Combine(folder, "tokenizer_config.json");
            return File.Exists(path) ? Load(path) : null;
        }

        public static TokenizerConfig Load(string path) => FromJson(File.ReadAllBytes(path), path);
#endif

        public static TokenizerConfig FromJson(byte[] utf8, string source)
        {
            JsonNode root = JsonParser.Parse(utf8, source);
            return new TokenizerConfig
            {
                BosToken = TokenName(root["bos_token"]),
                EosToken = TokenName(root["eos_token"]),
                UnkToken = TokenName(root["unk_token"]),
                PadToken = TokenName(root["pad_token"]),
                ChatTemplate = Template(root["chat_template"]),
            };
        }

        // A special token is written either as "<s>" or as {"content": "<s>", ...}.
        private static string? TokenName(JsonNode? node) => node?.AsString() ?? node?["content"]?.AsString();

        // chat_template is a string, or a list of {"name", "template"} where "default" is the chat one.
        private static string? Template(JsonNode? node)
        {
            if (node == null) return null;
            if (node.AsString() is string text) return text;
            if (node.Items == null) return null;
            string? first = null;
            foreach (JsonNode item in node.Items)
            {
                string? name = item["name"]?.AsString();
                string? template = item["template"]?.AsString();
                if (template == null) continue;
                if (name == "default") return template;
                first ??= template;
            }
            return first;
        }
    }
}
