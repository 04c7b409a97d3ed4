using System.Globalization;
using System.Text;
using PromptCache.Pml.Requests;

namespace PromptCache.Cli.Commands.Bench;

/// <summary>
/// The TTFT benchmark's prompt layout: four cached modules whose text totals <c>cachedTokens</c>
/// byte tokens, two 8-token parameter slots (one in the first module, one in the last), and a
/// 32-token suffix (or another length). Text is varied prose, never zeros.
/// </summary>
internal static class BenchSchema
{
    public const int SuffixTokens = 32;
    public const int ParameterTokens = 8;

    private static readonly string[] Words = ["river", "lantern", "market", "orbit", "harbor", "signal", "meadow", "copper", "violet", "engine", "garden", "thunder", "paper", "window", "silver", "forest"];

    public static string Pml(int cachedTokens)
    {
        var random = new Random(cachedTokens);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<schema name=\"bench{cachedTokens}\">");
        int perModule = cachedTokens / 4;
        for (int m = 0; m < 4; m++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<module name=\"m{m}\">");
            string text = Prose(random, perModule - (m is 0 or 3 ? 2 : 0));
            int half = text.Length / 2;
            if (m == 0) sb.Append(text[..half]).Append(" <parameter name=\"a\" length=\"8\"/> ").Append(text[half..]);
            else if (m == 3) sb.Append(text[..half]).Append(" <parameter name=\"b\" length=\"8\"/> ").Append(text[half..]);
            else sb.Append(text);
            sb.Append("</module>");
        }
        sb.Append("</schema>");
        return sb.ToString();
    }

    public static PromptRequest Request(int cachedTokens, int variant, int suffixTokens = SuffixTokens) => new(
        $"bench{cachedTokens}", "",
        [
            new ModuleSelection(["m0"], [new PromptArgument("a", $"alpha{variant % 10:D3}")]),
            new ModuleSelection("m1"),
            new ModuleSelection("m2"),
            new ModuleSelection(["m3"], [new PromptArgument("b", $"beta{variant % 10:D4}")]),
        ],
        [PromptSuffixPart.Plain(($"Question {variant}: what happens next in the story? ").PadRight(suffixTokens, '.')[..suffixTokens])]);

    // Exactly `length` bytes of words (ASCII, one byte token each).
    private static string Prose(Random random, int length)
    {
        var sb = new StringBuilder();
        while (sb.Length < length) sb.Append(Words[random.Next(Words.Length)]).Append(' ');
        return sb.ToString(0, length);
    }
}
