using System.Globalization;

namespace Quickstart;

/// <summary>Command-line settings (three options: a full parser would be more code than the sample).</summary>
internal sealed record QuickstartSettings(string? ModelPath, int MaxTokens, string? CacheDirectory)
{
    public static QuickstartSettings? Parse(string[] args)
    {
        string? model = null, cacheDir = null;
        int maxTokens = 24;
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--model" when value is not null: model = value; i++; break;
                case "--cache-dir" when value is not null: cacheDir = value; i++; break;
                case "--max-tokens" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0: maxTokens = n; i++; break;
                default:
                    Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'. Usage: Quickstart [--model PATH] [--max-tokens N] [--cache-dir DIR]");
                    return null;
            }
        }
        return new QuickstartSettings(model, maxTokens, cacheDir);
    }
}
