namespace PromptCache.Cli.Tests;

/// <summary>Finds ../shared (or $PROMPTCACHE_SHARED); tests that need it skip when it is absent (CI has no copy).</summary>
internal static class SharedFolder
{
    public static string? Path { get; } = Find();

    private static string? Find()
    {
        string? env = Environment.GetEnvironmentVariable("PROMPTCACHE_SHARED");
        if (!string.IsNullOrEmpty(env) && File.Exists(System.IO.Path.Combine(env, "ARCHITECTURE.md")))
            return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine(dir.FullName, "shared");
            if (File.Exists(System.IO.Path.Combine(candidate, "ARCHITECTURE.md")))
                return candidate;
        }
        return null;
    }
}

/// <summary>A fact that is skipped, with the reason, when the shared folder is absent.</summary>
internal sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute()
    {
        if (SharedFolder.Path is null)
            Skip = "needs the shared folder (../shared or PROMPTCACHE_SHARED) with reference tokenizers";
    }
}
