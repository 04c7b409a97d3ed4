using System.Reflection;
using PromptCache.Generators.Tests.Infrastructure;
using PromptCache.Generators.Tests.Packaging;

namespace PromptCache.Generators.Tests;

/// <summary>
/// Proves the NuGet package works for a user: pack it into a temporary folder, create a consumer project
/// that restores it from there, build it (the package's props must pick up the .pml, its generator must
/// emit the typed class) and run it.
/// </summary>
public sealed class PackageSmokeTests : IDisposable
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(4);
    private readonly string _work = Directory.CreateTempSubdirectory("promptcache-pack-").FullName;

    [Fact]
    public void Packed_package_gives_a_consumer_the_typed_class()
    {
        var repo = RepositoryPaths.Root;
        var configuration = typeof(PackageSmokeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "Configuration").Value!;

        // A version of its own, so a package extracted by an earlier run can never stand in for this one.
        var version = "0.1.0-smoke." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "." + Environment.ProcessId;
        var feed = Path.Combine(_work, "feed");
        DotnetCli.Run(repo, StepTimeout, "pack", Path.Combine("generator", "PromptCache.Package", "PromptCache.Package.csproj"),
            "-c", configuration, "--no-build", "-o", feed, "-p:PackageVersion=" + version);
        Assert.True(File.Exists(Path.Combine(feed, $"PromptCache.{version}.nupkg")));

        var consumer = CreateConsumer(feed, version);
        DotnetCli.Run(consumer, StepTimeout, "build", "-c", "Release", "--disable-build-servers", "-nodeReuse:false");
        var output = DotnetCli.Run(consumer, StepTimeout, Path.Combine(consumer, "bin", "Release", "net10.0", "Consumer.dll"));

        Assert.Contains("<travel-plan duration=\"5 days\">", output);
        Assert.Contains("<domestic city=\"Paris\"/>", output);
        Assert.Contains("schemas: 1", output);
        Assert.Contains("catalog: 1", output);
        Assert.Contains("engine: PromptCache.Engine", output);
        Assert.Contains("hosting: PromptCache.Hosting", output);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is not worth failing a test for.
        }
    }

    private string CreateConsumer(string feed, string version)
    {
        var consumer = Directory.CreateDirectory(Path.Combine(_work, "consumer")).FullName;
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

        // Only the local feed and the machine's package cache (which the solution's own restore filled, so the
        // package's dependencies are there): no network, so CI machines without a reachable feed pass too.
        // Restoring into a private folder keeps the smoke versions out of the machine cache.
        File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(_work, "packages")}" />
              </config>
              <packageSources>
                <clear />
                <add key="promptcache-smoke" value="{feed}" />
                <add key="machine-cache" value="{packages}" />
              </packageSources>
            </configuration>
            """);

        // Stop MSBuild from importing whatever Directory.*.props lie above the temp folder.
        File.WriteAllText(Path.Combine(consumer, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(consumer, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(consumer, "Directory.Packages.props"), "<Project><PropertyGroup><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup></Project>");

        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="PromptCache" Version="{version}" />
              </ItemGroup>
            </Project>
            """);

        Directory.CreateDirectory(Path.Combine(consumer, "Prompts"));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "travel.pml"), Path.Combine(consumer, "Prompts", "travel.pml"));
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), """
            var request = Consumer.Prompts.TravelPrompt.Create()
                .TravelPlan(duration: "5 days", plan => plan.Domestic(city: "Paris"))
                .User("Plan my trip.");
            System.Console.WriteLine(request.ToPml());
            System.Console.WriteLine("schemas: " + PromptCache.Generated.PromptSchemaRegistry.All.Count);
            System.Console.WriteLine("catalog: " + PromptCache.Pml.Registry.PromptSchemaCatalog.All.Count);
            // The engine and the hosting extensions ship in lib/net10.0 too, with their dependencies declared.
            System.Console.WriteLine("engine: " + typeof(PromptCache.Engine.PromptCacheEngine).Assembly.GetName().Name);
            System.Console.WriteLine("hosting: " + typeof(PromptCache.Hosting.PromptCacheServiceCollectionExtensions).Assembly.GetName().Name);
            """);
        return consumer;
    }
}
