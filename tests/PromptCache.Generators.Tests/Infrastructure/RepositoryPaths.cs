namespace PromptCache.Generators.Tests.Infrastructure;

/// <summary>Folders of the checkout the tests run from, found by walking up from the test output folder.</summary>
internal static class RepositoryPaths
{
    /// <summary>The folder with PromptCache.Generators.sln.</summary>
    public static string Root => Above("PromptCache.Generators.sln");

    /// <summary>This test project's source folder (where the snapshots live).</summary>
    public static string TestProject => Above("PromptCache.Generators.Tests.csproj");

    private static string Above(string marker)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, marker)))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Cannot find {marker} above {AppContext.BaseDirectory}");
    }
}
