using Microsoft.Extensions.DependencyInjection;
using PromptCache.Hosting.Warmup;
using PromptCache.Pml.Registry;

namespace PromptCache.Hosting.Tests;

// The catalog is process-wide: every schema registered here has a name no other test uses, and is valid,
// because a WarmSchemas() test warms whatever the catalog holds.
public sealed class CatalogTests
{
    private sealed class CatalogPromptA;

    private sealed class CatalogPromptB;

    private sealed class ClashPrompt;

    private sealed class ParallelPrompt;

    private static readonly Dictionary<string, string> NoFiles = [];

    private static string Schema(string name) => $"<schema name=\"{name}\"><system>Short {name}.</system><module name=\"m\">Module of {name}.</module></schema>";

    [Fact]
    public void Register_is_idempotent_per_class_and_hash_and_finds_by_name_and_type()
    {
        var first = PromptSchemaCatalog.Register("catalog-a", "hash-a", Schema("catalog-a"), NoFiles, typeof(CatalogPromptA));
        var again = PromptSchemaCatalog.Register("catalog-a", "hash-a", Schema("catalog-a"), NoFiles, typeof(CatalogPromptA));
        Assert.Same(first, again);
        Assert.Equal("catalog-a.pml", first.FileName);
        Assert.Single(PromptSchemaCatalog.FindByName("catalog-a"));
        Assert.Same(first, PromptSchemaCatalog.FindByType(typeof(CatalogPromptA)));
        Assert.Null(PromptSchemaCatalog.FindByType(typeof(ClashPrompt)));
        Assert.Throws<ArgumentException>(() => PromptSchemaCatalog.Register("", "h", "<schema/>", NoFiles, typeof(ClashPrompt)));
    }

    [Fact]
    public void Concurrent_registrations_are_all_kept()
    {
        Parallel.For(0, 64, i => PromptSchemaCatalog.Register($"catalog-par-{i}", $"h{i}", Schema($"catalog-par-{i}"), NoFiles, typeof(ParallelPrompt), $"par{i}.pml"));
        for (int i = 0; i < 64; i++) Assert.Equal($"par{i}.pml", Assert.Single(PromptSchemaCatalog.FindByName($"catalog-par-{i}")).FileName);
    }

    [Fact]
    public async Task WarmSchemas_without_arguments_warms_the_catalog_by_name_and_by_type_too()
    {
        PromptSchemaCatalog.Register("catalog-b", "hash-b", Schema("catalog-b"), NoFiles, typeof(CatalogPromptB), "b.pml");
        var registered = PromptSchemaCatalog.All.Select(e => e.SchemaName).ToHashSet();
        using var host = TestHosts.Create(null, b => b.WarmSchemas().WarmSchemas("catalog-b").WarmSchemas(typeof(CatalogPromptB)));
        await host.StartAsync();
        await TestHosts.WaitReadyAsync(host);
        var engine = await host.Services.GetRequiredService<HostedPromptCache>().GetEngineAsync();
        Assert.Contains("catalog-b", engine.SchemaNames);
        // Every schema registered before start is warm (another test class may register more meanwhile).
        Assert.Superset(registered, engine.SchemaNames.ToHashSet());
        await host.StopAsync();
    }

    [Fact]
    public void An_unknown_name_lists_the_registered_schemas()
    {
        var catalog = new[] { new PromptSchemaCatalogEntry("travel", "h1", Schema("travel"), NoFiles, typeof(CatalogPromptA)) };
        var options = new PromptCacheWarmupOptions();
        options.SchemaNames.Add("travle");
        var e = Assert.Throws<InvalidOperationException>(() => WarmupPlan.Resolve(options, catalog));
        Assert.Contains("schema 'travle' is not in the PromptSchemaCatalog", e.Message);
        Assert.Contains("'travel' (" + typeof(CatalogPromptA).FullName + ")", e.Message);
    }

    [Fact]
    public void One_name_for_two_schemas_names_both_classes_and_duplicates_warm_once()
    {
        var a = new PromptSchemaCatalogEntry("same", "h1", Schema("same"), NoFiles, typeof(CatalogPromptA));
        var b = new PromptSchemaCatalogEntry("same", "h2", Schema("same") + " ", NoFiles, typeof(ClashPrompt));
        var options = new PromptCacheWarmupOptions { AllCatalogSchemas = true };
        var e = Assert.Throws<InvalidOperationException>(() => WarmupPlan.Resolve(options, [a, b]));
        Assert.Contains(typeof(CatalogPromptA).FullName!, e.Message);
        Assert.Contains(typeof(ClashPrompt).FullName!, e.Message);

        options.SchemaNames.Add("same");
        options.PromptTypes.Add(typeof(CatalogPromptA));
        options.Sources.Add(TestHosts.TripSource);
        var sources = WarmupPlan.Resolve(options, [a]);
        Assert.Equal(2, sources.Count);   // 'same' once (chosen three ways), then the explicit source
        Assert.Equal(TestHosts.TripSource.PmlSource, sources[1].PmlSource);
    }
}
