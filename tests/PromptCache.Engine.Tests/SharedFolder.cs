namespace PromptCache.Engine.Tests;

/// <summary>Finds the repo's sibling <c>shared</c> folder (models), or null when absent (CI).</summary>
internal static class SharedFolder
{
    public static readonly string? Path = Find();

    public static string StoriesModel => System.IO.Path.Combine(Path ?? "", "models", "stories260K", "stories260K.gguf");

    private static string? Find()
    {
        string? env = Environment.GetEnvironmentVariable("PROMPTCACHE_SHARED");
        if (!string.IsNullOrEmpty(env) && File.Exists(System.IO.Path.Combine(env, "ARCHITECTURE.md"))) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine(dir.FullName, "shared");
            if (File.Exists(System.IO.Path.Combine(candidate, "ARCHITECTURE.md"))) return candidate;
        }
        return null;
    }
}

/// <summary>A fact skipped, with a reason, when stories260K in the shared folder is not there.</summary>
internal sealed class StoriesFactAttribute : FactAttribute
{
    public StoriesFactAttribute()
    {
        if (!File.Exists(SharedFolder.StoriesModel)) Skip = "needs ../shared/models/stories260K/stories260K.gguf; absent on this machine";
    }
}
