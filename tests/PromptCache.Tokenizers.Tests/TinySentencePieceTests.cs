namespace PromptCache.Tokenizers.Tests;

/// <summary>SentencePiece-style BPE (Mistral/Llama 2 layout) on a hand-written vocabulary.</summary>
public sealed class TinySentencePieceTests
{
    private static readonly BpeTokenizer Tok = TinyTokenizers.FromJson(TinyTokenizers.SentencePieceJson());

    [Fact]
    public void Prepend_and_replace_then_merge_by_rank()
    {
        Assert.Equal(new[] { 265 }, Tok.EncodeToIds("ab"));
        Assert.Equal(new[] { 1, 265 }, Tok.EncodeToIds("ab", addSpecialTokens: true));
        Assert.False(Tok.IsByteLevel);
    }

    [Fact]
    public void Unknown_characters_fall_back_to_byte_tokens_and_decode_back()
    {
        // "▁hi▁cab▁é": ab merges first (rank 1), then hi (3), then ▁hi (4); é is <0xC3><0xA9>.
        int[] expected = { 269, 259, 262, 264, 259, 3 + 0xC3, 3 + 0xA9 };
        Assert.Equal(expected, Tok.EncodeToIds("hi cab é"));
        Assert.Equal("hi cab é", Tok.Decode(expected));
        Assert.Equal(new[] { "▁hi", "▁", "c", "ab", "▁", "<0xC3>", "<0xA9>" }, Tok.EncodeToTokens("hi cab é"));
    }

    [Fact]
    public void Invalid_byte_runs_decode_to_one_replacement_per_byte()
    {
        Assert.Equal("a\uFFFD\uFFFD", Tok.Decode(new[] { 260, 3 + 0xE4, 3 + 0xB8 }));
    }

    [Fact]
    public void Without_byte_fallback_unknown_characters_fuse_into_one_unk()
    {
        var tok = TinyTokenizers.FromJson(TinyTokenizers.SentencePieceJson(byteFallback: false, fuseUnk: true));
        Assert.Equal(new[] { 259, 0 }, tok.EncodeToIds("xyz"));
        var unfused = TinyTokenizers.FromJson(TinyTokenizers.SentencePieceJson(byteFallback: false, fuseUnk: false));
        Assert.Equal(new[] { 259, 0, 0, 0 }, unfused.EncodeToIds("xyz"));
        Assert.Equal(0, tok.UnkId);
    }

    [Fact]
    public void Special_tokens_in_text_and_the_section_after_them_gets_a_prefix()
    {
        // HF's Prepend normalizer runs on each section between added tokens.
        Assert.Equal(new[] { 265, 2, 265 }, Tok.EncodeToIds("ab</s>ab"));
        Assert.Equal("ab</s> ab", Tok.Decode(new[] { 265, 2, 265 }));
        Assert.Equal("ab ab", Tok.Decode(new[] { 265, 2, 265 }, skipSpecialTokens: true));
    }

    [Fact]
    public void A_token_with_an_inner_metaspace_disables_the_word_cut()
    {
        // With "b▁" in the vocabulary a merge can cross "b|▁", so the text must stay one word.
        string json = TinyTokenizers.SentencePieceJson()
            .Replace("\"▁hi\": 269", "\"▁hi\": 269, \"b▁\": 270")
            .Replace("\"merges\": [\"▁ a\"", "\"merges\": [\"b ▁\", \"▁ a\"");
        BpeTokenizer tok = TinyTokenizers.FromJson(json);
        Assert.Equal(new[] { 259, 270, 260 }, tok.EncodeToIds("b a"));
        // Without it, cutting before each "▁" is exact: same ids as the uncut word.
        Assert.Equal(new[] { 259, 261, 263 }, Tok.EncodeToIds("b a"));
        Assert.Equal(Tok.Model.EncodeUncached("▁b▁a", 0, 4, 1000), Tok.EncodeToIds("b a"));
    }

    [Fact]
    public void Streaming_decode_strips_only_the_first_leading_space()
    {
        StreamingDecoder stream = Tok.CreateStreamingDecoder();
        Assert.Equal("hi", stream.Step(269));
        Assert.Equal(" ab", stream.Step(265));
        Assert.Null(stream.Step(3 + 0xC3));
        Assert.Equal("é", stream.Step(3 + 0xA9));
    }
}
