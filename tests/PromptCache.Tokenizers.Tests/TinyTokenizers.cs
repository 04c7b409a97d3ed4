using System.Text;
using PromptCache.Tokenizers.Json;
using PromptCache.Tokenizers.Loading;
using PromptCache.Tokenizers.Models;

namespace PromptCache.Tokenizers.Tests;

/// <summary>Hand-written tokenizer.json files, small enough to work out the expected ids by hand.</summary>
internal static class TinyTokenizers
{
    /// <summary>Loads through the streaming reader, as <see cref="Tokenizer.Load"/> does.</summary>
    public static BpeTokenizer FromJson(string json) => HfTokenizerJsonLoader.Read(Encoding.UTF8.GetBytes(json), "test.json", null);

    /// <summary>Loads through the document parser (the other code path).</summary>
    public static BpeTokenizer FromJsonDocument(string json) => HfTokenizerJsonLoader.FromJson(JsonParser.Parse(json, "test.json"), "test.json", null);

    private static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
        {
            if (c == '"' || c == '\\') sb.Append('\\').Append(c);
            else if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4"));
            else sb.Append(c);
        }
        return sb.Append('"').ToString();
    }

    /// <summary>
    /// Byte-level: ids 0..255 are the bytes (id = byte value, spelled in GPT-2's alphabet), then
    /// 256 "Ġt", 257 "he", 258 "Ġthe", 259 "in", 260 "Ġa"; added tokens 261 "&lt;|end|&gt;"
    /// (special) and 262 "&lt;|bos|&gt;" (special, put first by the template).
    /// </summary>
    public static string ByteLevelJson(string preTokenizer = "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true}", string extraAdded = "")
    {
        var vocab = new List<string>();
        for (int b = 0; b < 256; b++) vocab.Add($"{Quote(ByteLevelAlphabet.ByteToChar[b].ToString())}: {b}");
        vocab.Add("\"Ġt\": 256");
        vocab.Add("\"he\": 257");
        vocab.Add("\"Ġthe\": 258");
        vocab.Add("\"in\": 259");
        vocab.Add("\"Ġa\": 260");
        return $$$$"""
        {
          "version": "1.0",
          "added_tokens": [
            {"id": 261, "content": "<|end|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
            {"id": 262, "content": "<|bos|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
            {{{{extraAdded}}}}
          ],
          "normalizer": null,
          "pre_tokenizer": {{{{preTokenizer}}}},
          "post_processor": {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<|bos|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [],
            "special_tokens": {"<|bos|>": {"id": "<|bos|>", "ids": [262], "tokens": ["<|bos|>"]}}},
          "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
          "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null, "end_of_word_suffix": null,
            "fuse_unk": false, "byte_fallback": false,
            "vocab": { {{{{string.Join(", ", vocab)}}}} },
            "merges": [["Ġ", "t"], ["h", "e"], ["Ġt", "he"], ["i", "n"], ["Ġ", "a"]]}
        }
        """;
    }

    /// <summary>
    /// SentencePiece-style (as Mistral/Llama 2): 0 &lt;unk&gt;, 1 &lt;s&gt;, 2 &lt;/s&gt;,
    /// 3..258 the byte tokens &lt;0x00&gt;..&lt;0xFF&gt;, then 259 "▁", 260 "a", 261 "b", 262 "c",
    /// 263 "▁a", 264 "ab", 265 "▁ab", 266 "h", 267 "i", 268 "hi", 269 "▁hi".
    /// </summary>
    public static string SentencePieceJson(bool byteFallback = true, bool fuseUnk = true)
    {
        var vocab = new List<string> { "\"<unk>\": 0", "\"<s>\": 1", "\"</s>\": 2" };
        for (int b = 0; b < 256; b++) vocab.Add($"\"<0x{b:X2}>\": {3 + b}");
        string[] pieces = { "▁", "a", "b", "c", "▁a", "ab", "▁ab", "h", "i", "hi", "▁hi" };
        for (int i = 0; i < pieces.Length; i++) vocab.Add($"\"{pieces[i]}\": {259 + i}");
        return $$$$"""
        {
          "version": "1.0",
          "added_tokens": [
            {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
            {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
            {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
          ],
          "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
          "pre_tokenizer": null,
          "post_processor": {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
          "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
          "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null, "end_of_word_suffix": null,
            "fuse_unk": {{{{(fuseUnk ? "true" : "false")}}}}, "byte_fallback": {{{{(byteFallback ? "true" : "false")}}}},
            "vocab": { {{{{string.Join(", ", vocab)}}}} },
            "merges": ["▁ a", "a b", "▁a b", "h i", "▁ hi"]}
        }
        """;
    }
}
