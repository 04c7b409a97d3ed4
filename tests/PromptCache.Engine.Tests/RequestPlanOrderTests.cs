using PromptCache.Engine.Binding;
using PromptCache.Engine.Execution;
using PromptCache.Pml.Requests;
using PromptCache.Runtime.Inference;

namespace PromptCache.Engine.Tests;

/// <summary>
/// The planner's token order against a reference: the tokens in the order the planner writes them,
/// put in position order by a stable sort (what the planner did with LINQ before).
/// </summary>
public sealed class RequestPlanOrderTests
{
    // Two parameters in one module with text between and after them, and root text after the modules:
    // written in planner order (root, then each module's text, then its arguments) nothing is in position order.
    private const string Forms = """
        <schema name="forms">
          <user>
            <module name="head">Fill: <parameter name="x" length="4" scaffold="ex"/> then <parameter name="y" length="5" scaffold="why"/> done.</module>
            <module name="tail" cache="false">Tail <parameter name="z" length="3"/> end.</module>
          </user>
        </schema>
        """;

    // No root text, modules named in document order, the parameter at the end of its module: written in order.
    private const string Line = "<schema name=\"line\"><module name=\"a\">One, </module><module name=\"b\">two, <parameter name=\"p\" length=\"4\"/></module></schema>";

    [Fact]
    public async Task Interleaved_runs_are_sorted_the_same_whatever_order_the_request_names_modules_and_arguments()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(Forms, "forms"));
        var schema = engine.GetSchema("forms");
        var inOrder = new PromptRequest("forms", "",
            [new ModuleSelection(["head"], [new PromptArgument("x", "ab"), new PromptArgument("y", "cde")]),
             new ModuleSelection(["tail"], [new PromptArgument("z", "q")])],
            [PromptSuffixPart.User("Go")]);
        var reversed = new PromptRequest("forms", "",
            [new ModuleSelection(["tail"], [new PromptArgument("z", "q")]),
             new ModuleSelection(["head"], [new PromptArgument("y", "cde"), new PromptArgument("x", "ab")])],
            [PromptSuffixPart.User("Go")]);

        var written = Written(schema, inOrder, engine);
        Assert.False(Increasing(written.All.Select(t => t.Position)), "the sort path should be taken");
        Assert.False(Increasing(written.Fresh.Select(t => t.Position)), "the sort path should be taken for the new tokens");
        var plan = Plan(engine, inOrder);
        AssertMatches(written, plan);
        var other = Plan(engine, reversed);
        Assert.Equal(plan.AllIds, other.AllIds);
        Assert.Equal(plan.AllPositions, other.AllPositions);
        Assert.Equal(plan.NewIds, other.NewIds);
        Assert.Equal(plan.NewPositions, other.NewPositions);
    }

    [Fact]
    public async Task Tokens_written_in_position_order_stay_as_written()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(Line, "line"));
        var request = new PromptRequest("line", "", [new ModuleSelection("a"), new ModuleSelection(["b"], [new PromptArgument("p", "xy")])],
            [PromptSuffixPart.Plain(" three")]);
        var written = Written(engine.GetSchema("line"), request, engine);
        Assert.True(Increasing(written.All.Select(t => t.Position)), "the in-order path should be taken");
        Assert.True(Increasing(written.Fresh.Select(t => t.Position)), "the in-order path should be taken for the new tokens");
        AssertMatches(written, Plan(engine, request));
    }

    [Fact]
    public async Task A_request_with_module_text_after_its_argument_and_an_uncached_module_matches_the_reference()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        foreach (var request in new[] { Requests.TripDefault("a week", "Where?"), Requests.TripCity("3", "Oslo", "Go?") })
            AssertMatches(Written(engine.GetSchema("trip"), request, engine), Plan(engine, request));
    }

    [Fact]
    public async Task Equal_positions_keep_their_written_order()
    {
        // Two members of one union (the validator refuses this; the planner alone does not) share positions.
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Pick, "pick"));
        var request = new PromptRequest("pick", "", [new ModuleSelection("head"), new ModuleSelection("a"), new ModuleSelection("b")],
            [PromptSuffixPart.Plain(" so")]);
        var written = Written(engine.GetSchema("pick"), request, engine);
        Assert.True(written.All.GroupBy(t => t.Position).Any(g => g.Count() > 1), "the request should repeat positions");
        AssertMatches(written, Plan(engine, request));
    }

    private static RequestPlan Plan(PromptCacheEngine engine, PromptRequest request) =>
        RequestPlanner.Plan(engine.GetSchema(request.SchemaName), new Dictionary<string, KvSegment>(), request, engine.Tokenizer, false);

    private static void AssertMatches((List<(int Position, int Id)> All, List<(int Position, int Id)> Fresh) written, RequestPlan plan)
    {
        var all = written.All.OrderBy(t => t.Position).ToList();
        var fresh = written.Fresh.OrderBy(t => t.Position).ToList();
        Assert.Equal(all.Select(t => t.Id), plan.AllIds);
        Assert.Equal(all.Select(t => t.Position), plan.AllPositions);
        Assert.Equal(fresh.Select(t => t.Id), plan.NewIds);
        Assert.Equal(fresh.Select(t => t.Position), plan.NewPositions);
    }

    private static bool Increasing(IEnumerable<int> positions) =>
        positions.Zip(positions.Skip(1), (a, b) => b > a).All(up => up);

    // The request's tokens in the order the planner writes them: the root's text; each selected module (implied
    // parents included, by path in ordinal order) with its text, then its arguments (or scaffold fillings); the
    // suffix. New tokens are the arguments, the uncached modules' text and the suffix.
    private static (List<(int Position, int Id)> All, List<(int Position, int Id)> Fresh) Written(BoundSchema schema, PromptRequest request,
        PromptCacheEngine engine)
    {
        var all = new List<(int Position, int Id)>();
        var fresh = new List<(int Position, int Id)>();
        if (schema.Owners.TryGetValue("", out var root)) all.AddRange(root.Positions.Zip(root.Ids));
        var paths = request.Modules
            .SelectMany(m => Enumerable.Range(1, m.Path.Count).Select(n => string.Join("/", m.Path.Take(n))))
            .Distinct().Order(StringComparer.Ordinal);
        foreach (string path in paths)
        {
            var module = schema.Modules[path];
            var own = schema.Owners.TryGetValue(path, out var tokens) ? tokens.Positions.Zip(tokens.Ids).ToList() : [];
            all.AddRange(own);
            if (!module.IsCacheable) fresh.AddRange(own);
            var selection = request.Modules.LastOrDefault(m => m.PathString == path);
            foreach (var parameter in module.Parameters)
            {
                string? value = selection?.GetArgument(parameter.Name);
                int[] ids = value is null ? parameter.ScaffoldFill : [.. engine.Tokenizer.EncodeToIds(value, addSpecialTokens: false)];
                var argument = ids.Select((id, i) => (parameter.Offset + i, id)).ToList();
                all.AddRange(argument);
                fresh.AddRange(argument);
            }
        }
        var suffix = SuffixEncoder.Encode(request.Suffix, engine.Tokenizer, schema.Markers).Select((id, i) => (schema.TotalLength + i, id)).ToList();
        all.AddRange(suffix);
        fresh.AddRange(suffix);
        return (all, fresh);
    }
}
