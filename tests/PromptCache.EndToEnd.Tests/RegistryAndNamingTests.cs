using PromptCache.EndToEnd.Characters;
using PromptCache.EndToEnd.Tests.Prompts;
using PromptCache.Generated;

namespace PromptCache.EndToEnd.Tests;

/// <summary>The per-assembly registry (start-up warming) and the naming options of the props.</summary>
public sealed class RegistryAndNamingTests
{
    [Fact]
    public void Registry_lists_every_schema_of_the_assembly()
    {
        var entries = PromptSchemaRegistry.All;

        Assert.Equal(new[] { "persona", "travel", "trip-planner" }, entries.Select(e => e.SchemaName).OrderBy(n => n, StringComparer.Ordinal));
        var travel = entries.Single(e => e.SchemaName == "travel");
        Assert.Equal(typeof(TravelPrompt), travel.PromptType);
        Assert.Equal(TravelPrompt.ContentHash, travel.ContentHash);
        Assert.Equal(TravelPrompt.PmlSource, travel.PmlSource);
        Assert.Same(TravelPrompt.Layout, travel.Layout);
    }

    [Fact]
    public void Module_initializer_registered_every_schema_in_the_process_wide_catalog()
    {
        // Nothing in this test calls a registration method: the generated [ModuleInitializer] ran when the assembly loaded.
        var travel = Assert.Single(global::PromptCache.Pml.Registry.PromptSchemaCatalog.All, e => e.PromptType == typeof(TravelPrompt));

        Assert.Equal("travel", travel.SchemaName);
        Assert.Equal(TravelPrompt.ContentHash, travel.ContentHash);
        Assert.Equal(TravelPrompt.PmlSource, travel.PmlSource);
        Assert.Contains(global::PromptCache.Pml.Registry.PromptSchemaCatalog.All, e => e.PromptType == typeof(CharacterPrompt));
    }

    [Fact]
    public void Namespace_and_type_name_metadata_override_the_defaults()
    {
        // Prompts/persona.pml has Namespace="PromptCache.EndToEnd.Characters" TypeName="CharacterPrompt" in the project file.
        var request = CharacterPrompt.Create()
            .Age(age => age.YoungAdult())
            .Residence(residence => residence.Seaside())
            .Personality(personality => personality.Analytical())
            .User("Who are you?");

        Assert.Equal("persona", request.SchemaName);
        Assert.Equal(new[] { "age", "age/young-adult", "residence", "residence/seaside", "personality", "personality/analytical" }, request.Modules.Select(m => m.PathString));
        Assert.Equal("PromptCache.EndToEnd.Tests.Prompts", typeof(TravelPrompt).Namespace);
    }
}
