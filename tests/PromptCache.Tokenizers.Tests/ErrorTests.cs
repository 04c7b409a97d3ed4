namespace PromptCache.Tokenizers.Tests;

/// <summary>Bad input is a clear error naming the field and, where there is a fixed set, the supported values.</summary>
public sealed class ErrorTests
{
    [Fact]
    public void Missing_file_says_what_was_expected()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Tokenizer.Load("/no/such/tokenizer.json"));
        Assert.Contains("/no/such/tokenizer.json", e.Message);
        Assert.Contains("encoder.json", e.Message);
    }

    [Fact]
    public void Folder_without_tokenizer_files_is_an_error()
    {
        string dir = Directory.CreateTempSubdirectory("pc-tok-").FullName;
        try
        {
            var e = Assert.Throws<FileNotFoundException>(() => Tokenizer.Load(dir));
            Assert.Contains("No tokenizer in folder", e.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Unsupported_model_type()
    {
        string json = TinyTokenizers.ByteLevelJson().Replace("\"type\": \"BPE\"", "\"type\": \"WordPiece\"");
        var e = Assert.Throws<TokenizerFormatException>(() => TinyTokenizers.FromJson(json));
        Assert.Contains("model.type 'WordPiece'", e.Message);
        Assert.Contains("supported: BPE", e.Message);
    }

    [Fact]
    public void Unknown_pre_tokenizer_normalizer_and_decoder()
    {
        var pre = Assert.Throws<TokenizerFormatException>(() => TinyTokenizers.FromJson(TinyTokenizers.ByteLevelJson("{\"type\": \"BertPreTokenizer\"}")));
        Assert.Contains("pre_tokenizer: type 'BertPreTokenizer'", pre.Message);
        Assert.Contains("ByteLevel, Split, Sequence, Metaspace", pre.Message);

        string withNormalizer = TinyTokenizers.ByteLevelJson().Replace("\"normalizer\": null", "\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFC\"}, {\"type\": \"StripAccents\"}]}");
        var norm = Assert.Throws<TokenizerFormatException>(() => TinyTokenizers.FromJson(withNormalizer));
        Assert.Contains("normalizer.normalizers[1]: type 'StripAccents'", norm.Message);
        Assert.Contains("NFC", norm.Message);

        string withDecoder = TinyTokenizers.ByteLevelJson().Replace("\"decoder\": {\"type\": \"ByteLevel\"", "\"decoder\": {\"type\": \"WordPiece\"");
        var dec = Assert.Throws<TokenizerFormatException>(() => TinyTokenizers.FromJson(withDecoder));
        Assert.Contains("decoder: type 'WordPiece'", dec.Message);
    }

    [Fact]
    public void Merge_with_a_token_outside_the_vocabulary()
    {
        string json = TinyTokenizers.ByteLevelJson().Replace("[\"i\", \"n\"]", "[\"i\", \"qq\"]");
        var e = Assert.Throws<TokenizerFormatException>(() => TinyTokenizers.FromJson(json));
        Assert.Contains("merge 3", e.Message);
    }

    [Fact]
    public void Malformed_json_gives_the_line()
    {
        var e = Assert.Throws<InvalidDataException>(() => TinyTokenizers.FromJson("{\n\"model\": {\n  \"type\": \"BPE\",,\n}}"));
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void SentencePiece_model_file_is_refused_clearly()
    {
        string path = Path.Combine(Path.GetTempPath(), "pc-tok-" + Guid.NewGuid().ToString("N") + ".model");
        File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
        try
        {
            var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.Load(path));
            Assert.Contains("SentencePiece .model", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
