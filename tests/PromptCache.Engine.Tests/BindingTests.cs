using PromptCache.Engine.Binding;
using PromptCache.Engine.Synthetic;
using PromptCache.Pml;
using PromptCache.Pml.Layout;

namespace PromptCache.Engine.Tests;

public sealed class BindingTests
{
    [Fact]
    public async Task Offsets_come_from_the_shared_layout_algorithm_and_every_element_encodes_to_its_length()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var bound = engine.GetSchema("trip");

        // The same numbers as SchemaLayout.Bind with a plain token counter (what the generator computes).
        var schema = PmlParser.ParseSchema(TestSchemas.Trip, "trip.pml").Schema!;
        var reference = SchemaLayout.Build(schema).Bind(new ByteCounter(), engine.Markers);
        Assert.Equal(reference.Elements.Select(e => (e.Offset, e.Length)), bound.Layout.Elements.Select(e => (e.Offset, e.Length)));

        for (int i = 0; i < bound.Layout.Elements.Count; i++)
        {
            var e = bound.Layout.Elements[i];
            int expected = e.Element.Kind is LayoutElementKind.ModuleStart or LayoutElementKind.UnionStart ? 0 : e.Length;
            Assert.Equal(expected, bound.ElementIds[i].Length);
        }

        // ChatML markers: "<|im_start|>system\n" is 1 + 7 tokens, "<|im_end|>\n" 2; no preamble for ChatML.
        Assert.Equal(0, bound.PreambleLength);
        Assert.Equal(8, bound.Layout.Elements.First(e => e.Element.Kind == LayoutElementKind.RoleBegin).Length);
        var intro = bound.Modules["intro"];
        var days = intro.Parameters.Single();
        Assert.Equal("days", days.Name);
        Assert.Equal(6, days.Length);
        Assert.Equal(intro.Offset + "I travel for ".Length, days.Offset);
        Assert.Equal("a week", new ByteTokenizer().Decode(days.ScaffoldFill));

        // Union members share an offset; the union is as long as its longest member ("city" with its nested union).
        var beach = bound.Modules["plan/beach"];
        var city = bound.Modules["plan/city"];
        Assert.Equal(beach.Offset, city.Offset);
        Assert.True(city.Length > beach.Length);
        Assert.Equal(bound.Modules["plan/city/old"].Offset, bound.Modules["plan/city/new"].Offset);
        Assert.Equal(bound.Layout.TotalLength, bound.TotalLength);
    }

    [Fact]
    public async Task The_default_prompt_reads_as_the_chat_format_renders_it()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var request = Requests.TripDefault("a week", "Where?");
        var plan = Execution.RequestPlanner.Plan(engine.GetSchema("trip"), new Dictionary<string, Runtime.Inference.KvSegment>(), request, engine.Tokenizer, false);
        string text = engine.Tokenizer.Decode(plan.AllIds);
        Assert.Equal(
            " <|im_start|>system\nYou plan trips.<|im_end|>\n <|im_start|>user\n I travel for a week days.  Destination: Sun and sand near the sea. Thanks.  Live note. <|im_end|>\n <|im_start|>user\nWhere?<|im_end|>\n<|im_start|>assistant\n",
            text);
        // Positions increase, with one gap: "beach" is shorter than its union (whose longest member is "city").
        var schema = engine.GetSchema("trip");
        int gap = schema.Modules["plan/city"].Length - schema.Modules["plan/beach"].Length;
        var steps = plan.AllPositions.Zip(plan.AllPositions.Skip(1), (a, b) => b - a).ToList();
        Assert.All(steps, s => Assert.True(s >= 1));
        Assert.Equal(gap, steps.Sum() - (steps.Count));
    }

    [Fact]
    public async Task A_schema_longer_than_the_context_is_rejected_with_its_numbers()
    {
        await using var engine = TestSchemas.TinyEngine();
        string big = "<schema name=\"big\"><module name=\"m\">" + new string('x', 5000) + "</module></schema>";
        var e = await Assert.ThrowsAsync<PromptCacheException>(() => engine.WarmAsync(TestSchemas.Source(big, "big")));
        Assert.Contains("Schema 'big' is 5000 tokens long", e.Message);
        Assert.Contains("context window of 4096", e.Message);
    }

    private sealed class ByteCounter : ITokenCounter
    {
        public int CountTokens(string text) => new ByteTokenizer().EncodeToIds(text).Count;
    }
}
