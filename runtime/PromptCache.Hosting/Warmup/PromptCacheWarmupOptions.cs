using PromptCache.Engine;

namespace PromptCache.Hosting;

/// <summary>Which schemas start-up warming covers; filled by the <c>WarmSchemas(...)</c> calls of <see cref="PromptCacheBuilder"/>.</summary>
public sealed class PromptCacheWarmupOptions
{
    /// <summary>Warm every schema in <see cref="Pml.Registry.PromptSchemaCatalog"/> (read when warming starts).</summary>
    public bool AllCatalogSchemas { get; set; }

    /// <summary>Catalog schemas to warm, by PML name.</summary>
    public IList<string> SchemaNames { get; } = [];

    /// <summary>Catalog schemas to warm, by generated class.</summary>
    public IList<Type> PromptTypes { get; } = [];

    /// <summary>Schemas given explicitly (from a generated class's PmlSource or a .pml file).</summary>
    public IList<PromptSchemaSource> Sources { get; } = [];
}
