using PromptCache.Pml.Requests;

namespace PromptCache.Engine.Tests;

/// <summary>Fidelity on the real stories260K model (skipped without the shared folder).</summary>
public sealed class StoriesTests
{
    // The union is last: either member, with everything before it, sees exactly the context it was computed with.
    // ("park" is shorter than "sea", so the suffix follows a gap: the full prefill keeps the schema positions.)
    private const string Schema = """
        <schema name="story">
          <module name="opening">Once upon a time, there was a little girl named Lily.</module>
          <module name="friend">One day, she met a <parameter name="animal" length="3" scaffold="dog"/>.</module>
          <union><module name="park">She went to the park with her mom.</module><module name="sea">She loved to swim in the sea.</module></union></schema>
        """;

    [StoriesFact]
    public async Task Prefix_exact_story_prompt_matches_the_full_prefill()
    {
        await using var engine = PromptCacheEngine.Load(SharedFolder.StoriesModel);
        await engine.WarmAsync(new PromptSchemaSource(Schema, "story.pml"));
        Assert.Equal(1, engine.GetSchema("story").PreambleLength); // BOS: the model has no chat template
        var fill = engine.Tokenizer.Decode(engine.GetSchema("story").Modules["friend"].Parameters[0].ScaffoldFill);
        foreach (var member in new[] { "park", "sea" })
        {
            // No argument for "animal": the slot keeps its precompute filling (scaffold + unk), so the prompt stays prefix-exact.
            var modules = new List<ModuleSelection> { new("opening"), new("friend"), new(member) };
            var request = new PromptRequest("story", "", modules, [PromptSuffixPart.Plain(" They")]);
            var cached = await engine.ComputeLogitsAsync(request, useCache: true);
            var full = await engine.ComputeLogitsAsync(request, useCache: false, schemaPositions: true);
            Assert.True(TestSchemas.MaxAbsDiff(cached, full) <= 1e-3f, $"{member}: max abs diff {TestSchemas.MaxAbsDiff(cached, full)} (scaffold fill '{fill}')");
        }
    }
}
