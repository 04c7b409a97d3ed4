namespace PromptCache.Tokenizers.Tests;

/// <summary>Finds ../shared (tokenizer files, models), which a fresh clone does not have.</summary>
internal static class SharedFolder
{
    public static readonly string? Path = Find();

    private static string? Find()
    {
        string? env = Environment.GetEnvironmentVariable("PROMPTCACHE_SHARED");
        if (!string.IsNullOrEmpty(env) && File.Exists(System.IO.Path.Combine(env, "ARCHITECTURE.md"))) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine(dir.FullName, "shared");
            if (File.Exists(System.IO.Path.Combine(candidate, "ARCHITECTURE.md"))) return candidate;
        }
        return null;
    }

    public static string File_(params string[] parts) => System.IO.Path.Combine([Path!, .. parts]);
}

/// <summary>A fact that is skipped, with the reason, when ../shared is absent.</summary>
public sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute()
    {
        if (SharedFolder.Path == null) Skip = "needs ../shared (tokenizer files); absent in this checkout (set PROMPTCACHE_SHARED to run)";
    }
}

/// <summary>A theory that is skipped, with the reason, when ../shared is absent.</summary>
public sealed class SharedTheoryAttribute : TheoryAttribute
{
    public SharedTheoryAttribute()
    {
        if (SharedFolder.Path == null) Skip = "needs ../shared (tokenizer files); absent in this checkout (set PROMPTCACHE_SHARED to run)";
    }
}
