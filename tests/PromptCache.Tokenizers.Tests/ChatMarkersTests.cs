using PromptCache.Tokenizers.Chat;

namespace PromptCache.Tokenizers.Tests;

public sealed class ChatMarkersTests
{
    [Theory]
    [InlineData("{% for m in messages %}{{'<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n'}}{% endfor %}", ChatTemplateFamily.ChatML)]
    [InlineData("{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>\\n\\n{{ m.content }}<|eot_id|>{% endfor %}", ChatTemplateFamily.Llama3)]
    [InlineData("{% if messages[0]['role'] == 'system' %}<<SYS>>\\n{{ system }}\\n<</SYS>>\\n\\n{% endif %}{{ bos_token + '[INST] ' + content + ' [/INST]' }}", ChatTemplateFamily.Llama2)]
    [InlineData("{{ bos_token }}{% for message in messages %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% endfor %}", ChatTemplateFamily.Mistral)]
    public void Detects_the_known_families(string template, ChatTemplateFamily family)
    {
        Assert.Equal(family, ChatMarkers.Detect(template).Family);
    }

    [Fact]
    public void Unknown_or_missing_template_is_an_error_never_a_guess()
    {
        var unknown = Assert.Throws<ChatTemplateNotRecognizedException>(() => ChatMarkers.Detect("{% for m in messages %}<start_of_turn>{{ m.role }}{% endfor %}", "gemma.json"));
        Assert.Contains("gemma.json", unknown.Message);
        Assert.Contains("llama2, llama3, chatml, mistral", unknown.Message);
        Assert.Throws<ChatTemplateNotRecognizedException>(() => ChatMarkers.Detect(null));
        Assert.False(ChatMarkers.TryDetect("plain text", out _));
    }

    [Fact]
    public void Explicit_override_and_custom_markers()
    {
        Assert.Same(ChatMarkers.ChatML, ChatMarkers.ForFamily("ChatML"));
        Assert.Same(ChatMarkers.Llama3, ChatMarkers.ForFamily("llama3"));
        Assert.Throws<ArgumentException>(() => ChatMarkers.ForFamily("gemma"));
        var custom = new ChatMarkers(null, "", new RoleMarkers("S:", "\n"), new RoleMarkers("U:", "\n"), new RoleMarkers("A:", "\n"), false);
        Assert.Equal("U:hi\n", custom.Wrap("user", "hi"));
        Assert.Equal("A:", custom.GenerationPrompt);
    }

    [Fact]
    public void Markers_are_the_models_own_text()
    {
        Assert.Equal("<|im_start|>user\nHello<|im_end|>\n", ChatMarkers.ChatML.Wrap("user", "Hello"));
        Assert.Equal("<|start_header_id|>assistant<|end_header_id|>\n\n", ChatMarkers.Llama3.GenerationPrompt);
        Assert.Equal("<s>[INST] Hi [/INST]", ChatMarkers.Llama2.Wrap("user", "Hi"));
        Assert.True(ChatMarkers.Mistral.SystemInsideFirstUserTurn);
    }

    [SharedFact]
    public void Qwen3_config_template_is_chatml_and_mistral_has_none()
    {
        Tokenizer qwen = HfFixtureTests.LoadShared("qwen3");
        Assert.Same(ChatMarkers.ChatML, ChatMarkers.ForTokenizer(qwen));
        Assert.Equal(qwen.TokenToId("<|im_end|>"), qwen.EosId);
        Assert.Equal(qwen.TokenToId("<|endoftext|>"), qwen.PadId);
        Assert.Null(qwen.BosId);
        // The markers are single special tokens for Qwen.
        Assert.Equal(3, qwen.CountTokens(ChatMarkers.ChatML.User.Prefix));

        Tokenizer mistral = HfFixtureTests.LoadShared("mistral7b");
        Assert.Throws<ChatTemplateNotRecognizedException>(() => ChatMarkers.ForTokenizer(mistral));
        Assert.Same(ChatMarkers.Mistral, ChatMarkers.ForTokenizer(mistral, "mistral"));
    }
}
