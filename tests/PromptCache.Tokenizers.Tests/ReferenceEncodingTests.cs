namespace PromptCache.Tokenizers.Tests;

/// <summary>The reference ids in ../shared/tokenizers/reference-encodings.txt (made by the JS packages).</summary>
public sealed class ReferenceEncodingTests
{
    private const string LongText = "Once upon a time, there was a little girl named Lily. Héllo 世界!  123";
    private const string ShortText = "Once upon a time, there was a little girl named Lily.";

    private static int[] Reference(string label)
    {
        foreach (string line in File.ReadAllLines(SharedFolder.File_("tokenizers", "reference-encodings.txt")))
        {
            if (line.StartsWith(label + " [", StringComparison.Ordinal))
                return line[(label.Length + 2)..^1].Split(',').Select(int.Parse).ToArray();
        }
        throw new InvalidOperationException("no reference line " + label);
    }

    [SharedFact]
    public void Qwen3_matches_reference()
    {
        var tok = HfFixtureTests.LoadShared("qwen3");
        Assert.Equal(Reference("qwen3"), tok.EncodeToIds(LongText));
        Assert.Equal(LongText, tok.Decode(tok.EncodeToIds(LongText)));
    }

    [SharedFact]
    public void Gpt2_matches_reference()
    {
        var tok = HfFixtureTests.LoadShared("gpt2");
        Assert.Equal(Reference("gpt2"), tok.EncodeToIds(LongText));
        Assert.Equal(LongText, tok.Decode(tok.EncodeToIds(LongText)));
    }

    [SharedFact]
    public void Mistral_matches_reference_with_bos()
    {
        var tok = HfFixtureTests.LoadShared("mistral7b");
        Assert.Equal(Reference("llama2"), tok.EncodeToIds(LongText, addSpecialTokens: true));
        Assert.Equal(Reference("mistral-tokenizer-js"), tok.EncodeToIds(ShortText, addSpecialTokens: true));
        Assert.Equal(LongText, tok.Decode(tok.EncodeToIds(LongText)));
        Assert.Equal(1, tok.BosId);
        Assert.Equal(2, tok.EosId);
        Assert.Equal(0, tok.UnkId);
    }

    [SharedFact]
    public void Stories260K_gguf_vocabulary_encodes_with_bos()
    {
        var tok = Tokenizer.Load(SharedFolder.File_("models", "stories260K", "stories260K.gguf"));
        Assert.Equal(new[] { 1, 403, 407, 261, 378 }, tok.EncodeToIds("Once upon a time", addSpecialTokens: true));
        Assert.Equal("Once upon a time", tok.Decode(tok.EncodeToIds("Once upon a time")));
    }
}
