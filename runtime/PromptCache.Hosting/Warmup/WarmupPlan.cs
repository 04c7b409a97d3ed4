using PromptCache.Engine;
using PromptCache.Pml.Registry;

namespace PromptCache.Hosting.Warmup;

/// <summary>
/// Turns the <c>WarmSchemas(...)</c> selections into the list of schema sources to warm: catalog
/// entries (all, by name, by generated class) once each, then explicit sources.
/// </summary>
internal static class WarmupPlan
{
    /// <exception cref="InvalidOperationException">A name or type is not in the catalog, or one name stands for two different schemas; the message lists what the catalog has.</exception>
    public static IReadOnlyList<PromptSchemaSource> Resolve(PromptCacheWarmupOptions options, IReadOnlyList<PromptSchemaCatalogEntry> catalog)
    {
        var chosen = new List<PromptSchemaCatalogEntry>();
        if (options.AllCatalogSchemas) chosen.AddRange(catalog);
        foreach (string name in options.SchemaNames)
        {
            var found = catalog.Where(e => e.SchemaName == name).ToList();
            if (found.Count == 0) throw new InvalidOperationException($"WarmSchemas: schema '{name}' is not in the PromptSchemaCatalog. {Known(catalog)}");
            chosen.AddRange(found);
        }
        foreach (var type in options.PromptTypes)
        {
            var entry = catalog.FirstOrDefault(e => e.PromptType == type)
                ?? throw new InvalidOperationException($"WarmSchemas: {type.FullName} is not in the PromptSchemaCatalog. {Known(catalog)}");
            chosen.Add(entry);
        }

        // One schema may be chosen several ways, or embedded in two assemblies: warm it once. One name with
        // two contents cannot share an engine; say which classes clash rather than let warming fail later.
        var unique = chosen.DistinctBy(e => (e.SchemaName, e.ContentHash)).ToList();
        foreach (var clash in unique.GroupBy(e => e.SchemaName).Where(g => g.Count() > 1))
        {
            throw new InvalidOperationException($"WarmSchemas: schema name '{clash.Key}' stands for {clash.Count()} different schemas: " +
                string.Join(", ", clash.Select(e => $"{e.PromptType.FullName} (hash {e.ContentHash})")) + ". Schema names must be unique in one engine.");
        }

        // The generated class's build-time token layout (if its project named a tokenizer) is checked while warming.
        return [.. unique.Select(e => new PromptSchemaSource(e.PmlSource, e.FileName, e.SourceFiles) { BuildTimeLayout = PromptSchemaSource.BuildTimeLayoutOf(e.PromptType) }), .. options.Sources];
    }

    private static string Known(IReadOnlyList<PromptSchemaCatalogEntry> catalog) =>
        catalog.Count == 0
            ? "The catalog is empty: generated schemas register themselves when their assembly loads, or call PromptSchemaCatalog.Register."
            : "Registered: " + string.Join(", ", catalog.Select(e => $"'{e.SchemaName}' ({e.PromptType.FullName})")) + ".";
}
