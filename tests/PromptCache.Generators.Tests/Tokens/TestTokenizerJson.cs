using System.Text;

namespace PromptCache.Generators.Tests.Tokens;

/// <summary>
/// A tiny byte-level BPE tokenizer.json written for these tests: the 256 byte symbols (GPT-2's printable
/// alphabet), a handful of English merges, the GPT-2 split regex. Small enough to load in microseconds,
/// real enough that token counts differ from character or word counts.
/// </summary>
internal static class TestTokenizerJson
{
    private static readonly string[] Merges = { "Ġ t", "h e", "Ġt he", "i n", "Ġ a", "e r", "Ġ o", "o u", "Ġ s", "a n" };

    public static string Create()
    {
        var symbols = ByteSymbols();
        var vocab = new StringBuilder();
        for (var b = 0; b < 256; b++)
        {
            vocab.Append(Quote(symbols[b])).Append(": ").Append(b).Append(", ");
        }

        var next = 256;
        var merges = new StringBuilder();
        foreach (var merge in Merges)
        {
            var parts = merge.Split(' ');
            vocab.Append(Quote(parts[0] + parts[1])).Append(": ").Append(next++).Append(", ");
            merges.Append('[').Append(Quote(parts[0])).Append(", ").Append(Quote(parts[1])).Append("], ");
        }

        return "{\"version\": \"1.0\", \"added_tokens\": [], \"normalizer\": null,\n" +
            "\"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true},\n" +
            "\"post_processor\": null,\n" +
            "\"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true},\n" +
            "\"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null, \"fuse_unk\": false, \"byte_fallback\": false,\n" +
            "\"vocab\": {" + vocab.ToString().TrimEnd(' ', ',') + "},\n" +
            "\"merges\": [" + merges.ToString().TrimEnd(' ', ',') + "]}}\n";
    }

    // GPT-2's reversible byte-to-symbol map: printable Latin-1 bytes stand for themselves, the others are shifted past 255.
    private static string[] ByteSymbols()
    {
        var symbols = new string[256];
        var shifted = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            symbols[b] = ((char)(printable ? b : 256 + shifted++)).ToString();
        }

        return symbols;
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
