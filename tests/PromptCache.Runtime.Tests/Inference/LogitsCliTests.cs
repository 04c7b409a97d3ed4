using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using PromptCache.Runtime.Tests.Support;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>`promptcache logits` reproduces the HF modular and plain references when run as a process.</summary>
public sealed class LogitsCliTests
{
    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    public void Logits_command_matches_transformers_for_the_modular_case(string name)
    {
        var reference = Fixtures.LoadReference(name);
        var request = new JsonObject
        {
            ["segments"] = new JsonArray(reference.Segments.Select(Run).ToArray()),
            ["query"] = Run(reference.Query),
        };
        var (code, stdout, stderr) = Cli("logits", "--model", Fixtures.Folder(name), "--request", WriteTemp(request));
        Assert.True(code == 0, stderr);
        AssertClose(reference.ModularLogits, stdout);
    }

    [Fact]
    public void Logits_command_without_segments_is_a_plain_forward()
    {
        var reference = Fixtures.LoadReference("llama");
        var request = new JsonObject { ["segments"] = new JsonArray(), ["query"] = Run(reference.Plain) };
        var (code, stdout, stderr) = Cli("logits", "--model", Fixtures.Folder("llama"), "--request", WriteTemp(request));
        Assert.True(code == 0, stderr);
        AssertClose(reference.PlainLogits, stdout);
    }

    [Fact]
    public void A_bad_request_is_a_clear_error()
    {
        var request = new JsonObject { ["query"] = new JsonObject { ["ids"] = new JsonArray(1, 2), ["positions"] = new JsonArray(0) } };
        var (code, _, stderr) = Cli("logits", "--model", Fixtures.Folder("llama"), "--request", WriteTemp(request));
        Assert.Equal(1, code);
        Assert.Contains("query: 2 ids but 1 positions", stderr);
    }

    private static JsonObject Run(TokenRun run) => new()
    {
        ["ids"] = new JsonArray(run.Ids.Select(i => (JsonNode)i).ToArray()),
        ["positions"] = new JsonArray(run.Positions.Select(i => (JsonNode)i).ToArray()),
    };

    private static string WriteTemp(JsonObject request)
    {
        string path = Path.Combine(Path.GetTempPath(), $"promptcache-request-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, request.ToJsonString());
        return path;
    }

    private static void AssertClose(float[][] expected, string stdout)
    {
        using var doc = JsonDocument.Parse(stdout);
        var rows = doc.RootElement.GetProperty("logits").EnumerateArray().ToArray();
        Assert.Equal(expected.Length, rows.Length);
        float worst = 0;
        for (int r = 0; r < rows.Length; r++)
        {
            var values = rows[r].EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.Equal(expected[r].Length, values.Length);
            for (int i = 0; i < values.Length; i++) worst = MathF.Max(worst, MathF.Abs(values[i] - expected[r][i]));
        }
        Assert.True(worst <= 1e-3f, $"promptcache logits differs from HF by {worst}");
    }

    internal static (int Code, string Stdout, string Stderr) Cli(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "promptcache.dll"));
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }
}
