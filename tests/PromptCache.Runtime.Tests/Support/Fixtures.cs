using System.Text.Json;

namespace PromptCache.Runtime.Tests.Support;

/// <summary>The HF parity fixtures committed under Fixtures/hf/&lt;name&gt;/ (made by tests/Reference/make_model_fixtures.py).</summary>
internal static class Fixtures
{
    public static string Folder(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "PromptCache.Runtime.Tests", "Fixtures", "hf", name);
            if (File.Exists(Path.Combine(candidate, "reference.json"))) return candidate;
        }
        throw new DirectoryNotFoundException($"Fixture folder Fixtures/hf/{name} not found above {AppContext.BaseDirectory}.");
    }

    /// <summary>A copy of a fixture folder whose config.json is the transformers 4 layout.</summary>
    public static string Tf4Copy(string name)
    {
        string source = Folder(name);
        string target = Path.Combine(Path.GetTempPath(), "promptcache-tests", name + "-tf4-" + Environment.ProcessId);
        Directory.CreateDirectory(target);
        File.Copy(Path.Combine(source, "config_tf4.json"), Path.Combine(target, "config.json"), overwrite: true);
        File.Copy(Path.Combine(source, "model.safetensors"), Path.Combine(target, "model.safetensors"), overwrite: true);
        return target;
    }

    public static Reference LoadReference(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder(name), "reference.json")));
        var root = doc.RootElement;
        var plain = root.GetProperty("plain");
        var modular = root.GetProperty("modular");
        return new Reference(
            Run(plain), Logits(plain.GetProperty("logits")),
            modular.GetProperty("segments").EnumerateArray().Select(Run).ToArray(),
            Run(modular.GetProperty("query")), Logits(modular.GetProperty("logits")));
    }

    private static TokenRun Run(JsonElement e) => new(
        e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
        e.GetProperty("positions").EnumerateArray().Select(x => x.GetInt32()).ToArray());

    private static float[][] Logits(JsonElement e) =>
        e.EnumerateArray().Select(row => row.EnumerateArray().Select(x => (float)x.GetDouble()).ToArray()).ToArray();
}

internal sealed record TokenRun(int[] Ids, int[] Positions);

internal sealed record Reference(TokenRun Plain, float[][] PlainLogits, TokenRun[] Segments, TokenRun Query, float[][] ModularLogits);
