using PromptCache.Engine.Binding;
using PromptCache.Pml;
using PromptCache.Pml.Layout;

namespace PromptCache.Engine.Tests;

/// <summary>Warming checks the generator's build-time token offsets against the loaded tokenizer.</summary>
public sealed class BuildTimeLayoutTests
{
    // What the generator would emit for the Trip schema with the engine's own tokenizer (no role markers).
    private static BuildTimeLayout TrueLayout(PromptCacheEngine engine, string hash, Func<int, int>? shift = null)
    {
        var schema = PmlParser.ParseSchema(TestSchemas.Trip, "trip.pml").Schema!;
        var bound = SchemaLayout.Build(schema).Bind(new TokenizerCounter(engine.Tokenizer), null, contextLength: null);
        var offsets = bound.Elements.Select((e, i) => (shift ?? (x => 0))(i) + e.Offset).ToArray();
        return new BuildTimeLayout(hash, bound.TotalLength, offsets, [.. bound.Elements.Select(e => e.Length)]);
    }

    [Fact]
    public async Task A_matching_build_time_layout_warms()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(new PromptSchemaSource(TestSchemas.Trip, "trip.pml") { BuildTimeLayout = TrueLayout(engine, "abc") });
        Assert.Contains("trip", engine.SchemaNames);
    }

    [Fact]
    public async Task A_different_build_time_layout_fails_warming_naming_schema_element_and_hashes()
    {
        await using var engine = TestSchemas.TinyEngine();
        var wrong = TrueLayout(engine, "build-hash-1", i => i >= 1 ? 1 : 0);
        var e = await Assert.ThrowsAsync<PromptCacheException>(() =>
            engine.WarmAsync(new PromptSchemaSource(TestSchemas.Trip, "trip.pml") { BuildTimeLayout = wrong }));
        Assert.Contains("'trip'", e.Message);
        Assert.Contains("build-hash-1", e.Message);
        Assert.Contains("loaded tokenizer hash", e.Message);
        Assert.Contains(" at [", e.Message);
        Assert.DoesNotContain("trip", engine.SchemaNames);
    }
}
