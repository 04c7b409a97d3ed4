namespace PromptCache.Runtime.Tests;

/// <summary>Finds the repo's sibling <c>shared</c> folder (models, references), or null when absent (CI).</summary>
internal static class SharedFolder
{
    public static readonly string? Path = Find();

    private static string? Find()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("PROMPTCACHE_SHARED");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(System.IO.Path.Combine(fromEnv, "ARCHITECTURE.md"))) return fromEnv;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine(dir.FullName, "shared");
            if (File.Exists(System.IO.Path.Combine(candidate, "ARCHITECTURE.md"))) return candidate;
        }
        return null;
    }
}

/// <summary>A fact that is skipped, with a reason, when the shared folder is not there.</summary>
internal sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute()
    {
        if (SharedFolder.Path is null) Skip = "needs ../shared (models); absent on this machine";
    }
}
