namespace PromptCache.Generators.Tests.Infrastructure;

/// <summary>The sibling ../shared folder (real tokenizers), found from the test output or PROMPTCACHE_SHARED; null when absent.</summary>
internal static class SharedFolder
{
    public static string? Path { get; } = Find();

    private static string? Find()
    {
        var fromEnv = Environment.GetEnvironmentVariable("PROMPTCACHE_SHARED");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(System.IO.Path.Combine(fromEnv, "ARCHITECTURE.md"))) return fromEnv;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared");
            if (File.Exists(System.IO.Path.Combine(candidate, "ARCHITECTURE.md"))) return candidate;
        }

        return null;
    }
}

/// <summary>A fact that skips, saying why, when ../shared is absent (CI clones have no shared folder).</summary>
internal sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute()
    {
        if (SharedFolder.Path is null) Skip = "../shared (real tokenizers) is absent; set PROMPTCACHE_SHARED to run this test.";
    }
}
