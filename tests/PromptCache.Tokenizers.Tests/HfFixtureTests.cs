using System.Text;
using System.Text.Json;

namespace PromptCache.Tokenizers.Tests;

/// <summary>
/// Exact agreement with HF tokenizers 0.23 on the committed fixtures (Fixtures/hf/*.jsonl, made by
/// tests/Reference/make_tokenizer_fixtures.py): ids with and without special tokens, token
/// strings, and decoded text. The tokenizer files themselves live in ../shared.
/// </summary>
public sealed class HfFixtureTests
{
    internal sealed record FixtureLine(int Line, string Text, int[] Ids, int[] IdsSpecial, string[] Tokens, string Decoded);

    internal static List<FixtureLine> ReadFixture(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "hf", name + ".jsonl");
        var result = new List<FixtureLine>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path, Encoding.UTF8))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement root = doc.RootElement;
            result.Add(new FixtureLine(
                lineNumber,
                root.GetProperty("text").GetString()!,
                root.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                root.GetProperty("ids_special").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                root.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()!).ToArray(),
                root.GetProperty("decoded").GetString()!));
        }
        return result;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Tokenizer>> Loaded = new();

    /// <summary>Each shared tokenizer is loaded once per test run (Qwen's file is 11 MB). Tokenizers are thread-safe.</summary>
    internal static Tokenizer LoadShared(string name) => Loaded.GetOrAdd(name, n => new Lazy<Tokenizer>(() => n switch
    {
        "gpt2" => Tokenizer.Load(SharedFolder.File_("tokenizers", "gpt2")),
        "qwen3" => Tokenizer.Load(SharedFolder.File_("tokenizers", "qwen3", "tokenizer.json")),
        "mistral7b" => Tokenizer.Load(SharedFolder.File_("tokenizers", "mistral7b", "tokenizer.json")),
        _ => throw new ArgumentException(n),
    })).Value;

    [SharedTheory]
    [InlineData("gpt2", true, false)]
    [InlineData("qwen3", true, true)]
    [InlineData("mistral7b", false, false)]
    public void Every_fixture_line_matches_HF_exactly(string name, bool byteLevel, bool nfc)
    {
        Tokenizer tokenizer = LoadShared(name);
        List<FixtureLine> lines = ReadFixture(name);
        Assert.True(lines.Count >= 400, $"{name}: only {lines.Count} fixture lines");
        var failures = new List<string>();
        foreach (FixtureLine f in lines)
        {
            int[] ids = tokenizer.EncodeToIds(f.Text).ToArray();
            int[] idsSpecial = tokenizer.EncodeToIds(f.Text, addSpecialTokens: true).ToArray();
            string[] tokens = ids.Select(id => tokenizer.IdToToken(id)!).ToArray();
            string decoded = tokenizer.Decode(f.Ids);
            if (!ids.SequenceEqual(f.Ids)) failures.Add($"line {f.Line} ids: {Show(f.Text)}\n  expected [{string.Join(",", f.Ids)}]\n  actual   [{string.Join(",", ids)}]");
            if (!idsSpecial.SequenceEqual(f.IdsSpecial)) failures.Add($"line {f.Line} ids_special: {Show(f.Text)}\n  expected [{string.Join(",", f.IdsSpecial)}]\n  actual   [{string.Join(",", idsSpecial)}]");
            if (!tokens.SequenceEqual(f.Tokens)) failures.Add($"line {f.Line} tokens: {Show(f.Text)}");
            if (decoded != f.Decoded) failures.Add($"line {f.Line} decoded: {Show(f.Text)}\n  expected {Show(f.Decoded)}\n  actual   {Show(decoded)}");
            // Byte-level tokenizers round-trip exactly, up to their normalizer (Qwen composes to NFC, as HF does).
            string expectedRoundTrip = nfc ? f.Text.Normalize(NormalizationForm.FormC) : f.Text;
            if (byteLevel && tokenizer.Decode(ids) != expectedRoundTrip) failures.Add($"line {f.Line} round trip: {Show(f.Text)}");
            if (tokenizer.CountTokens(f.Text) != f.Ids.Length) failures.Add($"line {f.Line} count");
        }
        Assert.True(failures.Count == 0, $"{name}: {failures.Count} mismatches over {lines.Count} lines\n" + string.Join("\n", failures.Take(15)));
    }

    [SharedTheory]
    [InlineData("gpt2")]
    [InlineData("qwen3")]
    [InlineData("mistral7b")]
    public void Streaming_decode_concatenates_to_the_full_decode(string name)
    {
        Tokenizer tokenizer = LoadShared(name);
        foreach (FixtureLine f in ReadFixture(name))
        {
            StreamingDecoder stream = tokenizer.CreateStreamingDecoder();
            var sb = new StringBuilder();
            foreach (int id in f.Ids)
            {
                string? piece = stream.Step(id);
                if (piece != null)
                {
                    Assert.DoesNotContain('\uFFFD', piece.Where(c => !f.Decoded.Contains('\uFFFD')));
                    sb.Append(piece);
                }
            }
            // Whatever is still held back is an incomplete tail; the complete text is a prefix of the full decode.
            Assert.StartsWith(sb.ToString(), f.Decoded, StringComparison.Ordinal);
            if (!f.Decoded.EndsWith('\uFFFD')) Assert.Equal(f.Decoded, sb.ToString());
        }
    }

    private static string Show(string s) => JsonSerializer.Serialize(s);
}
