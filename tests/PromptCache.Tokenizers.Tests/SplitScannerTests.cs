using System.Text;
using System.Text.RegularExpressions;
using PromptCache.Tokenizers.PreTokenizers;

namespace PromptCache.Tokenizers.Tests;

/// <summary>
/// The hand-written scanners must split exactly like the regexes they replace. .NET's regex
/// engine is the oracle here, on strings drawn from an alphabet that stresses every alternative;
/// astral characters are left out because .NET's \p{L} sees UTF-16 halves (our scanner, like HF's
/// Oniguruma, sees code points; that case has its own test).
/// </summary>
public sealed class SplitScannerTests
{
    private static readonly string[] Alphabet =
    {
        "a", "b", "Z", "é", "ß", "世", "界", "ア", "ا", "Ω", "ñ", "\u0301", "\u0308", // letters and combining marks (Mn: not \p{L})
        "0", "7", "٣", "½", "Ⅻ", "²",                                               // \p{N}: Nd, No, Nl
        " ", " ", " ", "\t", "\n", "\r", "\r\n", "\u00A0", "\u3000", "\u2028", "\v", "\f", "\u0085", // whitespace
        "'", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'RE", "'Ll", "'x",   // contractions
        ".", ",", "!", "?", "-", "_", "(", ")", "{", "}", "<", ">", "/", "\\", "\"", "#", "$", "=", "…", "—", "€",
        "\u200D", "\u200B", "\uFE0F",                                                  // zero-width (Cf/Mn)
    };

    private static string RandomText(Random rng, int pieces)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < pieces; i++) sb.Append(Alphabet[rng.Next(Alphabet.Length)]);
        return sb.ToString();
    }

    private static List<string> Split(SplitScanner scanner, string text)
    {
        var output = new List<PreToken>();
        new SplitPreTokenizer(scanner, SplitBehavior.Isolated, invert: false).SplitOne(new PreToken(text), output);
        return output.Select(p => p.ToString()).ToList();
    }

    [Theory]
    [InlineData(Gpt2Scanner.Pattern)]
    [InlineData(QwenScanner.QwenPattern)]
    [InlineData(QwenScanner.Llama3Pattern)]
    public void Scanner_matches_regex_on_random_strings(string pattern)
    {
        SplitScanner fast = SplitScanner.ForRegex(pattern);
        Assert.IsNotType<RegexScanner>(fast);
        var regex = new RegexScanner(pattern);
        var rng = new Random(1234);
        for (int i = 0; i < 4000; i++)
        {
            string text = RandomText(rng, 1 + rng.Next(24));
            List<string> expected = Split(regex, text);
            List<string> actual = Split(fast, text);
            Assert.True(expected.SequenceEqual(actual), $"'{Escape(text)}':\n  regex   [{string.Join("|", expected.Select(Escape))}]\n  scanner [{string.Join("|", actual.Select(Escape))}]");
        }
    }

    [Theory]
    [InlineData(Gpt2Scanner.Pattern, "I'm   here's 123 abc!!\n\n  x", new[] { "I", "'m", "  ", " here", "'s", " 123", " abc", "!!", "\n\n ", " x" })]
    [InlineData(QwenScanner.QwenPattern, "I'M   here 123 .NET!!\n\n  x", new[] { "I", "'M", "  ", " here", " ", "1", "2", "3", " .", "NET", "!!\n\n", " ", " x" })]
    [InlineData(QwenScanner.Llama3Pattern, "x 12345 a", new[] { "x", " ", "123", "45", " a" })]
    public void Known_splits(string pattern, string text, string[] expected)
    {
        Assert.Equal(expected, Split(SplitScanner.ForRegex(pattern), text));
    }

    [Fact]
    public void Astral_letters_and_digits_are_classified_per_code_point()
    {
        // U+20000 (CJK Ext. B) is a letter and U+1D7CE (mathematical bold zero) a digit; an emoji is neither.
        SplitScanner qwen = SplitScanner.ForRegex(QwenScanner.QwenPattern);
        Assert.Equal(new[] { " \U00020000\U00020001", "\U0001D7CE", "\U0001F600" }, Split(qwen, " \U00020000\U00020001\U0001D7CE\U0001F600"));
        Assert.Equal(new[] { "\U0001F600abc" }, Split(qwen, "\U0001F600abc"));
    }

    [Theory]
    [InlineData("Removed", new[] { "the", "final", "countdown" })]
    [InlineData("Isolated", new[] { "the", "-", "final", "-", "-", "countdown" })]
    [InlineData("MergedWithPrevious", new[] { "the-", "final-", "-", "countdown" })]
    [InlineData("MergedWithNext", new[] { "the", "-final", "-", "-countdown" })]
    [InlineData("Contiguous", new[] { "the", "-", "final", "--", "countdown" })]
    public void Split_behaviours_match_HF(string behaviour, string[] expected)
    {
        var split = new SplitPreTokenizer(new RegexScanner("-"), Enum.Parse<SplitBehavior>(behaviour), invert: false);
        var output = new List<PreToken>();
        split.SplitOne(new PreToken("the-final--countdown"), output);
        Assert.Equal(expected, output.Select(p => p.ToString()));
    }

    private static string Escape(string s) => Regex.Escape(s).Replace("\u00A0", "\\xA0");
}
