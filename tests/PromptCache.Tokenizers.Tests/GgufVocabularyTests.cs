using PromptCache.Tokenizers.Models;

namespace PromptCache.Tokenizers.Tests;

/// <summary>Vocabularies embedded in GGUF files, written by the test itself.</summary>
public sealed class GgufVocabularyTests
{
    // 0 <unk>, 1 <s>, 2 </s>, 3..258 <0x00>..<0xFF>, then 259 ▁, 260 a, 261 b, 262 ▁a, 263 ab.
    private static string LlamaGguf(float scoreSpaceA, float scoreAb, string? chatTemplate = null)
    {
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        var types = new List<int> { 2, 3, 3 };
        for (int b = 0; b < 256; b++) { tokens.Add(BpeModel.ByteFallbackToken(b)); types.Add(6); }
        tokens.AddRange(new[] { "▁", "a", "b", "▁a", "ab" });
        types.AddRange(new[] { 1, 1, 1, 1, 1 });
        var scores = tokens.Select(_ => 0f).ToList();
        scores[262] = scoreSpaceA;
        scores[263] = scoreAb;
        var writer = new GgufTestWriter()
            .String("general.architecture", "llama")
            .String("tokenizer.ggml.model", "llama")
            .Strings("tokenizer.ggml.tokens", tokens)
            .Floats("tokenizer.ggml.scores", scores)
            .Ints("tokenizer.ggml.token_type", types)
            .UInt32("tokenizer.ggml.bos_token_id", 1)
            .UInt32("tokenizer.ggml.eos_token_id", 2)
            .UInt32("tokenizer.ggml.unknown_token_id", 0);
        if (chatTemplate != null) writer.String("tokenizer.chat_template", chatTemplate);
        return writer.Save();
    }

    [Fact]
    public void Llama_vocabulary_merges_the_best_scoring_pair_first()
    {
        string path = LlamaGguf(scoreSpaceA: -1, scoreAb: -2);
        try
        {
            Tokenizer tok = Tokenizer.Load(path);
            Assert.Equal(new[] { 262, 261 }, tok.EncodeToIds("ab"));            // ▁a + b
            Assert.Equal(new[] { 1, 262, 261 }, tok.EncodeToIds("ab", addSpecialTokens: true));
            Assert.Equal((1, 2, 0), (tok.BosId, tok.EosId, tok.UnkId));
            Assert.Equal("ab", tok.Decode(new[] { 262, 261 }));
            Assert.Equal(new[] { 262, 259, 3 + 0xC3, 3 + 0xA9 }, tok.EncodeToIds("a é")); // byte fallback
            Assert.Equal("a é", tok.Decode(tok.EncodeToIds("a é")));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Llama_vocabulary_with_the_other_score_order()
    {
        string path = LlamaGguf(scoreSpaceA: -2, scoreAb: -1, chatTemplate: "{{ bos_token }}{% for m in messages %}[INST] {{ m.content }} [/INST]{% endfor %}");
        try
        {
            Tokenizer tok = Tokenizer.Load(path);
            Assert.Equal(new[] { 259, 263 }, tok.EncodeToIds("ab"));            // ▁ + ab
            Assert.Equal(new[] { 2, 259, 263 }, tok.EncodeToIds("</s>ab"));    // control tokens match in text
            Assert.Same(Chat.ChatMarkers.Mistral, Chat.ChatMarkers.ForTokenizer(tok));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Gpt2_vocabulary_is_byte_level_with_merges()
    {
        var tokens = new List<string>();
        for (int b = 0; b < 256; b++) tokens.Add(ByteLevelAlphabet.ByteToChar[b].ToString());
        tokens.AddRange(new[] { "Ġt", "he", "Ġthe", "<|endoftext|>" });
        var types = tokens.Select(_ => 1).ToList();
        types[259] = 3;
        string path = new GgufTestWriter()
            .String("tokenizer.ggml.model", "gpt2")
            .String("tokenizer.ggml.pre", "qwen2")
            .Strings("tokenizer.ggml.tokens", tokens)
            .Ints("tokenizer.ggml.token_type", types)
            .Strings("tokenizer.ggml.merges", new[] { "Ġ t", "h e", "Ġt he" })
            .UInt32("tokenizer.ggml.eos_token_id", 259)
            .Save();
        try
        {
            Tokenizer tok = Tokenizer.Load(path);
            Assert.Equal(new[] { 116, 257, 258, 259 }, tok.EncodeToIds("the the<|endoftext|>"));
            Assert.Equal(new[] { 116, 257, 258, 259 }, tok.EncodeToIds("the the<|endoftext|>", addSpecialTokens: true)); // no BOS by default
            Assert.Equal("the the<|endoftext|>", tok.Decode(tok.EncodeToIds("the the<|endoftext|>")));
            Assert.Equal(259, tok.EosId);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Unsupported_gguf_tokenizer_model_is_named_with_the_supported_values()
    {
        string path = new GgufTestWriter().String("tokenizer.ggml.model", "bert").Strings("tokenizer.ggml.tokens", new[] { "a" }).Save();
        try
        {
            var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.Load(path));
            Assert.Contains("tokenizer.ggml.model 'bert'", e.Message);
            Assert.Contains("llama, gpt2", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [SharedFact]
    public void Stories260K_chat_template_is_absent_and_says_so()
    {
        Tokenizer tok = Tokenizer.Load(SharedFolder.File_("models", "stories260K", "stories260K.gguf"));
        Assert.Equal(512, tok.VocabularySize);
        var e = Assert.Throws<Chat.ChatTemplateNotRecognizedException>(() => Chat.ChatMarkers.ForTokenizer(tok));
        Assert.Contains("no chat template", e.Message);
        Assert.Same(Chat.ChatMarkers.Llama2, Chat.ChatMarkers.ForTokenizer(tok, "llama2"));
    }
}
