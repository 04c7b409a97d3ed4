using System.Text;

namespace PromptCache.Tokenizers.Tests;

/// <summary>Byte-level BPE behaviour on a hand-written vocabulary (no shared files needed).</summary>
public sealed class TinyByteLevelTests
{
    private static readonly BpeTokenizer Tok = TinyTokenizers.FromJson(TinyTokenizers.ByteLevelJson());

    [Fact]
    public void Merges_apply_lowest_rank_first_within_each_word()
    {
        // "the" -> t + he (no "the" merge without Ġ); " theater" -> Ġthe a t e r.
        Assert.Equal(new[] { 116, 257, 258, 97, 116, 101, 114 }, Tok.EncodeToIds("the theater"));
        Assert.Equal(new[] { "t", "he", "Ġthe", "a", "t", "e", "r" }, Tok.EncodeToTokens("the theater"));
    }

    [Fact]
    public void Non_ascii_text_is_encoded_as_utf8_bytes_and_round_trips()
    {
        string text = "héllo 世界 👩‍💻\t\n  x";
        IReadOnlyList<int> ids = Tok.EncodeToIds(text);
        // No merge of this vocabulary applies inside this text: one token per UTF-8 byte.
        Assert.Equal(Encoding.UTF8.GetByteCount(text), ids.Count);
        Assert.Equal(text, Tok.Decode(ids));
        Assert.True(Tok.IsByteLevel);
    }

    [Fact]
    public void Special_tokens_are_matched_before_splitting_and_template_adds_bos()
    {
        Assert.Equal(new[] { 258, 261, 260 }, Tok.EncodeToIds(" the<|end|> a"));
        Assert.Equal(new[] { 262, 258, 261, 260 }, Tok.EncodeToIds(" the<|end|> a", addSpecialTokens: true));
        Assert.Equal(262, Tok.BosId);
        Assert.Equal(" the<|end|> a", Tok.Decode(new[] { 258, 261, 260 }));
        Assert.Equal(" the a", Tok.Decode(new[] { 258, 261, 260 }, skipSpecialTokens: true));
        Assert.True(Tok.IsSpecialToken(261));
        Assert.False(Tok.IsSpecialToken(258));
        Assert.Equal(261, Tok.TokenToId("<|end|>"));
        Assert.Equal(258, Tok.TokenToId("Ġthe"));
        Assert.Null(Tok.TokenToId("nope"));
        Assert.Equal(263, Tok.VocabularySize);
        Assert.Equal(4, Tok.CountTokens(" the<|end|> a", addSpecialTokens: true));
    }

    [Fact]
    public void Add_prefix_space_prepends_one_space_per_section()
    {
        var tok = TinyTokenizers.FromJson(TinyTokenizers.ByteLevelJson("{\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"use_regex\": true}"));
        Assert.Equal(new[] { 258 }, tok.EncodeToIds("the"));
        Assert.Equal(new[] { 258 }, tok.EncodeToIds(" the"));
    }

    [Fact]
    public void Added_token_options_lstrip_rstrip_and_single_word()
    {
        const string extra = """
            , {"id": 263, "content": "<L>", "single_word": false, "lstrip": true, "rstrip": false, "normalized": false, "special": true}
            , {"id": 264, "content": "<R>", "single_word": false, "lstrip": false, "rstrip": true, "normalized": false, "special": true}
            , {"id": 265, "content": "cat", "single_word": true, "lstrip": false, "rstrip": false, "normalized": false, "special": false}
            , {"id": 266, "content": "<|end|>x", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
            """;
        var tok = TinyTokenizers.FromJson(TinyTokenizers.ByteLevelJson(extraAdded: extra));
        Assert.Equal(new[] { 97, 263, 98 }, tok.EncodeToIds("a  <L>b"));       // spaces before <L> are swallowed
        Assert.Equal(new[] { 97, 264, 98 }, tok.EncodeToIds("a<R>  b"));       // spaces after <R> are swallowed
        Assert.Equal(new[] { 265, 260 }, tok.EncodeToIds("cat a"));            // whole word: matched
        Assert.Equal(new[] { 99, 97, 116, 115 }, tok.EncodeToIds("cats"));    // inside a word: not matched
        Assert.Equal(new[] { 266, 121 }, tok.EncodeToIds("<|end|>xy"));       // leftmost-longest
        Assert.Equal(new[] { 261, 121 }, tok.EncodeToIds("<|end|>y"));
    }

    [Fact]
    public void Invalid_utf8_input_becomes_replacement_characters()
    {
        byte[] bytes = { (byte)'a', 0xFF, (byte)'b', 0xE4, 0xB8 };
        IReadOnlyList<int> ids = Tok.EncodeToIds(bytes);
        Assert.Equal("a\uFFFDb\uFFFD", Tok.Decode(ids));
    }

    [Fact]
    public void Decoding_a_partial_character_yields_a_replacement_and_streaming_waits_for_it()
    {
        IReadOnlyList<int> ids = Tok.EncodeToIds("世"); // three byte tokens
        Assert.Equal(3, ids.Count);
        Assert.Equal("\uFFFD", Tok.Decode(ids.Take(2)));

        StreamingDecoder stream = Tok.CreateStreamingDecoder();
        Assert.Null(stream.Step(ids[0]));
        Assert.Null(stream.Step(ids[1]));
        Assert.Equal("世", stream.Step(ids[2]));
        Assert.Equal(" the", stream.Step(258));
    }

    [Fact]
    public void Long_words_use_the_heap_merge_with_the_same_result()
    {
        string word = string.Concat(Enumerable.Repeat(" the in a", 40)).Replace(" ", "");
        IReadOnlyList<int> ids = Tok.EncodeToIds(word);
        BpeTokenizer tok = Tok;
        int[] linear = tok.Model.EncodeUncached(word, 0, word.Length, linearLimit: int.MaxValue);
        int[] heap = tok.Model.EncodeUncached(word, 0, word.Length, linearLimit: 0);
        Assert.Equal(linear, heap);
        Assert.Equal(linear, ids);
    }
}
