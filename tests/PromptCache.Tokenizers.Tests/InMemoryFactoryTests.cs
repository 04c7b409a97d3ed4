using System.Text;
using PromptCache.Tokenizers.Chat;
using PromptCache.Tokenizers.Models;

namespace PromptCache.Tokenizers.Tests;

/// <summary>The factories that take file contents (the source generator may not do file IO itself).</summary>
public sealed class InMemoryFactoryTests
{
    [Fact]
    public void Tokenizer_json_with_its_config()
    {
        const string config = """
            {"bos_token": "<|bos|>", "eos_token": {"content": "<|end|>"}, "pad_token": null,
             "chat_template": "{% for m in messages %}{{'<|im_start|>' + m.role + '\n' + m.content + '<|im_end|>\n'}}{% endfor %}"}
            """;
        Tokenizer tok = Tokenizer.FromHfTokenizerJson(TinyTokenizers.ByteLevelJson(), config);
        Assert.Equal(new[] { 116, 257, 258 }, tok.EncodeToIds("the the"));
        Assert.Equal((262, 261), (tok.BosId, tok.EosId));
        Assert.Null(tok.PadId);
        Assert.Same(ChatMarkers.ChatML, ChatMarkers.ForTokenizer(tok));
    }

    [Fact]
    public void Gpt2_encoder_and_merges_contents()
    {
        var encoder = new StringBuilder("{");
        for (int b = 0; b < 256; b++)
        {
            string c = ByteLevelAlphabet.ByteToChar[b].ToString();
            encoder.Append(System.Text.Json.JsonSerializer.Serialize(c)).Append(": ").Append(b).Append(", ");
        }
        encoder.Append("\"Ġt\": 256, \"he\": 257, \"Ġthe\": 258, \"<|endoftext|>\": 259}");
        Tokenizer tok = Tokenizer.FromGpt2Files(Encoding.UTF8.GetBytes(encoder.ToString()), "#version: 0.2\r\nĠ t\r\nh e\r\nĠt he\r\n");
        Assert.Equal(new[] { 116, 257, 258, 259 }, tok.EncodeToIds("the the<|endoftext|>"));
        Assert.Equal(259, tok.EosId);
        Assert.Equal("the the<|endoftext|>", tok.Decode(tok.EncodeToIds("the the<|endoftext|>")));
    }

    [SharedFact]
    public void Gguf_stream()
    {
        using FileStream stream = File.OpenRead(SharedFolder.File_("models", "stories260K", "stories260K.gguf"));
        Tokenizer tok = Tokenizer.FromGguf(stream, "stories260K.gguf");
        Assert.Equal(new[] { 1, 403, 407, 261, 378 }, tok.EncodeToIds("Once upon a time", addSpecialTokens: true));
    }
}
