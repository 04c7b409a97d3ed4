using PromptCache.Tokenizers.Json;

namespace PromptCache.Tokenizers.Tests;

public sealed class JsonParserTests
{
    [Fact]
    public void Parses_values_escapes_and_unicode()
    {
        JsonNode root = JsonParser.Parse("{\"a\": [1, -2.5e3, true, false, null], \"s\": \"q\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00 é世\", \"o\": {}}", "t");
        Assert.Equal(JsonKind.Object, root.Kind);
        List<JsonNode> a = root["a"]!.Items!;
        Assert.Equal(1, a[0].AsLong());
        Assert.Equal(-2500.0, a[1].AsDouble());
        Assert.True(a[2].AsBool());
        Assert.False(a[3].AsBool());
        Assert.True(a[4].IsNull);
        Assert.Equal("q\"\\/\b\f\n\r\té😀 é世", root["s"]!.AsString());
        Assert.Empty(root["o"]!.Members!);
        Assert.Null(root["missing"]);
    }

    [Fact]
    public void Skips_a_utf8_bom()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, (byte)'[', (byte)'1', (byte)']'];
        Assert.Single(JsonParser.Parse(bytes, "t").Items!);
    }

    [Theory]
    [InlineData("{\"a\": }")]
    [InlineData("[1, 2")]
    [InlineData("\"abc")]
    [InlineData("{\"a\": 1} x")]
    [InlineData("[\"\\x\"]")]
    [InlineData("tru")]
    public void Rejects_invalid_json_with_a_position(string text)
    {
        var e = Assert.Throws<InvalidDataException>(() => JsonParser.Parse(text, "bad.json"));
        Assert.Contains("'bad.json' is not valid JSON", e.Message);
        Assert.Contains("at byte", e.Message);
    }
}
