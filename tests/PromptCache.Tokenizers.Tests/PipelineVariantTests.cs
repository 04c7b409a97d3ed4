namespace PromptCache.Tokenizers.Tests;

/// <summary>Other HF pipeline settings: Llama 3's ignore_merges, the Metaspace pre-tokenizer/decoder, NFC, thread safety.</summary>
public sealed class PipelineVariantTests
{
    [Fact]
    public void Ignore_merges_takes_a_whole_word_from_the_vocabulary()
    {
        // "Ġtheater" is in the vocabulary but no merge sequence builds it.
        string json = TinyTokenizers.ByteLevelJson().Replace("\"Ġa\": 260", "\"Ġa\": 260, \"Ġtheater\": 300");
        Assert.Equal(new[] { 258, 97, 116, 101, 114 }, TinyTokenizers.FromJson(json).EncodeToIds(" theater"));
        string llama3 = json.Replace("\"byte_fallback\": false", "\"byte_fallback\": false, \"ignore_merges\": true");
        Assert.Equal(new[] { 300 }, TinyTokenizers.FromJson(llama3).EncodeToIds(" theater"));
        Assert.Equal(new[] { 258 }, TinyTokenizers.FromJson(llama3).EncodeToIds(" the"));
    }

    [Fact]
    public void Metaspace_pre_tokenizer_and_decoder_match_the_normalizer_form()
    {
        string normalizerForm = TinyTokenizers.SentencePieceJson();
        string metaspaceForm = normalizerForm
            .Replace("\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Prepend\", \"prepend\": \"▁\"}, {\"type\": \"Replace\", \"pattern\": {\"String\": \" \"}, \"content\": \"▁\"}]}", "\"normalizer\": null")
            .Replace("\"pre_tokenizer\": null", "\"pre_tokenizer\": {\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \"first\", \"split\": false}");
        metaspaceForm = System.Text.RegularExpressions.Regex.Replace(metaspaceForm, "\"decoder\": \\{\"type\": \"Sequence\".*?\\]\\},", "\"decoder\": {\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \"first\", \"split\": false},", System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.NotEqual(normalizerForm, metaspaceForm);
        BpeTokenizer a = TinyTokenizers.FromJson(normalizerForm);
        BpeTokenizer b = TinyTokenizers.FromJson(metaspaceForm);
        Assert.Equal(a.EncodeToIds("hi ab ab"), b.EncodeToIds("hi ab ab"));
        Assert.Equal("hi ab ab", b.Decode(b.EncodeToIds("hi ab ab")));
        // prepend_scheme "first": no ▁ after a special token (unlike the Prepend normalizer).
        Assert.Equal(new[] { 265, 2, 264 }, b.EncodeToIds("ab</s>ab"));
    }

    [Fact]
    public void Metaspace_split_cuts_before_each_replacement()
    {
        string json = TinyTokenizers.SentencePieceJson()
            .Replace("\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Prepend\", \"prepend\": \"▁\"}, {\"type\": \"Replace\", \"pattern\": {\"String\": \" \"}, \"content\": \"▁\"}]}", "\"normalizer\": null")
            .Replace("\"pre_tokenizer\": null", "\"pre_tokenizer\": {\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \"always\", \"split\": true}");
        // Without split "▁a▁b" could merge across the ▁; with split each word is encoded alone.
        Assert.Equal(new[] { 263, 259, 261 }, TinyTokenizers.FromJson(json).EncodeToIds("a b"));
    }

    [Fact]
    public void Digits_pre_tokenizer_isolates_ascii_digits()
    {
        string individual = TinyTokenizers.ByteLevelJson("{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\", \"individual_digits\": true}, {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": false}]}");
        // Digits become their own pieces; the letters around them still merge ("in").
        Assert.Equal(new[] { 259, 49, 50, 259 }, TinyTokenizers.FromJson(individual).EncodeToIds("in12in"));
        string runs = individual.Replace("\"individual_digits\": true", "\"individual_digits\": false");
        Assert.Equal(new[] { 105, 49, 110 }, TinyTokenizers.FromJson(runs).EncodeToIds("i1n"));
    }

    [Fact]
    public void Nfc_normalizer_composes_before_encoding()
    {
        string json = TinyTokenizers.ByteLevelJson().Replace("\"normalizer\": null", "\"normalizer\": {\"type\": \"NFC\"}");
        BpeTokenizer tok = TinyTokenizers.FromJson(json);
        Assert.Equal(tok.EncodeToIds("\u00E9"), tok.EncodeToIds("e\u0301"));
        Assert.Equal("\u00E9", tok.Decode(tok.EncodeToIds("e\u0301")));
    }

    [Fact]
    public void Concurrent_encoding_gives_the_same_ids_as_sequential()
    {
        BpeTokenizer tok = TinyTokenizers.FromJson(TinyTokenizers.ByteLevelJson());
        var rng = new Random(7);
        string[] words = { "the", " theater", " in", " a", "héllo", " 世界", "<|end|>", "\n\n", "  ", "123", "cat's" };
        string[] texts = Enumerable.Range(0, 200).Select(_ => string.Concat(Enumerable.Range(0, 30).Select(_ => words[rng.Next(words.Length)]))).ToArray();
        int[][] expected = texts.Select(t => TinyTokenizers.FromJson(TinyTokenizers.ByteLevelJson()).EncodeToIds(t).ToArray()).ToArray();
        Parallel.For(0, texts.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            int k = i % texts.Length;
            Assert.Equal(expected[k], tok.EncodeToIds(texts[k]));
        });
    }
}
