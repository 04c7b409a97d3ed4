using System.Text;
using System.Text.RegularExpressions;

namespace PromptCache.Generators.Tests.Infrastructure;

/// <summary>
/// A home-grown snapshot check (Verify is not on our feed). The expected text is
/// <c>Snapshots/NAME.verified.EXT</c> in the test project's source folder. On a mismatch (or when it does not
/// exist yet) the actual text goes to <c>NAME.received.EXT</c> (git-ignored) and the test fails with a diff
/// summary; review the file and rename it to accept. Line endings are normalised and the generator's version
/// is scrubbed, so a snapshot survives a checkout on Windows and a version bump.
/// </summary>
internal static partial class Snapshot
{
    public static void Verify(string actual, string name, string extension = "cs")
    {
        var folder = Path.Combine(RepositoryPaths.TestProject, "Snapshots");
        var verifiedPath = Path.Combine(folder, name + ".verified." + extension);
        var receivedPath = Path.Combine(folder, name + ".received." + extension);
        var normalized = Scrub(Normalize(actual));

        var expected = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;
        if (expected == normalized)
        {
            File.Delete(receivedPath);
            return;
        }

        Directory.CreateDirectory(folder);
        File.WriteAllText(receivedPath, normalized, new UTF8Encoding(false));
        Assert.Fail(expected is null
            ? $"No snapshot {verifiedPath} yet. Review {receivedPath} and rename it to .verified.{extension} to accept it."
            : $"Snapshot {name} differs; review {receivedPath} (rename it to .verified.{extension} to accept).\n{DiffSummary(expected, normalized)}");
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n');

    private static string Scrub(string text) => VersionPattern().Replace(text, "$1{version}$2");

    /// <summary>The first differing line with a little context, and how many lines differ.</summary>
    private static string DiffSummary(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        var first = Enumerable.Range(0, Math.Min(e.Length, a.Length)).FirstOrDefault(i => e[i] != a[i], Math.Min(e.Length, a.Length));
        var differing = Enumerable.Range(0, Math.Max(e.Length, a.Length)).Count(i => i >= e.Length || i >= a.Length || e[i] != a[i]);
        var summary = new StringBuilder();
        summary.AppendLine($"{differing} line(s) differ (expected {e.Length} lines, got {a.Length}); first difference at line {first + 1}:");
        for (var i = Math.Max(0, first - 2); i < Math.Min(Math.Max(e.Length, a.Length), first + 3); i++)
        {
            summary.AppendLine($"  {i + 1,5} - {(i < e.Length ? e[i] : "<none>")}");
            summary.AppendLine($"  {i + 1,5} + {(i < a.Length ? a[i] : "<none>")}");
        }

        return summary.ToString();
    }

    [GeneratedRegex("(GeneratedCode\\(\"PromptCache\\.Generators\", \")[^\"]*(\"\\))")]
    private static partial Regex VersionPattern();
}
