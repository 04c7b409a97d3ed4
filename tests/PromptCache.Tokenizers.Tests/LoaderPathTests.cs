namespace PromptCache.Tokenizers.Tests;

/// <summary>The streaming loader (vocabulary and merges read without building nodes) and the document loader agree.</summary>
public sealed class LoaderPathTests
{
    private const string Sample = "the theater, in a THE<|end|>héllo 世界\n\n  x";

    [Fact]
    public void Streaming_and_document_loaders_give_the_same_ids()
    {
        string json = TinyTokenizers.ByteLevelJson();
        Assert.Equal(TinyTokenizers.FromJsonDocument(json).EncodeToIds(Sample), TinyTokenizers.FromJson(json).EncodeToIds(Sample));
        string sp = TinyTokenizers.SentencePieceJson();
        Assert.Equal(TinyTokenizers.FromJsonDocument(sp).EncodeToIds("hi cab é"), TinyTokenizers.FromJson(sp).EncodeToIds("hi cab é"));
    }

    [Fact]
    public void Merges_listed_before_the_vocabulary_still_load()
    {
        string json = TinyTokenizers.ByteLevelJson();
        int vocabAt = json.IndexOf("\"vocab\":", StringComparison.Ordinal);
        int mergesAt = json.IndexOf("\"merges\":", StringComparison.Ordinal);
        int mergesEnd = json.IndexOf("]]", mergesAt, StringComparison.Ordinal) + 2;
        string merges = json[mergesAt..mergesEnd];
        string vocab = json[vocabAt..mergesAt].TrimEnd();
        string reordered = json[..vocabAt] + merges + ",\n" + vocab.TrimEnd(',') + json[mergesEnd..];
        Assert.Equal(TinyTokenizers.FromJson(json).EncodeToIds(Sample), TinyTokenizers.FromJson(reordered).EncodeToIds(Sample));
    }
}
