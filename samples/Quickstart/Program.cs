// PromptCache quickstart: warm the cache for every .pml schema of this project, run typed prompt
// calls (classes generated from Prompts/*.pml), and compare time to first token with and without
// the cache.
//
//   dotnet run --project samples/Quickstart -c Release                      # embedded synthetic model
//   dotnet run --project samples/Quickstart -c Release -- --model PATH      # a Hugging Face folder or a .gguf
//
// Options: --model PATH, --max-tokens N (default 24), --cache-dir DIR (module K/V on disk: a second
// run warms from it instead of recomputing).
using PromptCache.Engine;
using PromptCache.Generated;
using PromptCache.Runtime.Generation;
using Quickstart;
using Quickstart.Prompts;

var settings = QuickstartSettings.Parse(args);
if (settings is null) return 2;

await using var engine = QuickstartModel.Open(settings);

// 1. Warm: bind every generated schema to the model and precompute (or load) its modules' K/V.
Console.WriteLine("Warming the prompt cache...");
var warmed = new List<string>();
foreach (var entry in PromptSchemaRegistry.All)
{
    try
    {
        // The generated class's build-time token offsets (when the project names a tokenizer) are checked against the model's.
        var source = new PromptSchemaSource(entry.PmlSource, entry.FileName, entry.SourceFiles) { BuildTimeLayout = PromptSchemaSource.BuildTimeLayoutOf(entry.PromptType) };
        await engine.WarmAsync([source], new ConsoleProgress());
        warmed.Add(entry.SchemaName);
    }
    catch (PromptCacheException e)
    {
        // A schema that does not fit this model (e.g. longer than its context window) is skipped, not fatal.
        Console.WriteLine($"  skipped {entry.FileName}: {e.Message}");
    }
}

// 2. Typed calls: union choices and parameter slots are checked by the compiler.
var calls = new List<(string Name, PromptCache.Pml.Requests.PromptRequest Request)>();
if (warmed.Contains(TravelPrompt.SchemaName))
{
    calls.Add(("travel: city break", TravelPrompt.Create()
        .Trip(duration: "5 days", trip => trip.CityBreak(city: "Kyoto"))
        .Budget(amount: "tight")
        .User("Plan my trip.")));
    calls.Add(("travel: mountains", TravelPrompt.Create()
        .Trip(duration: "a weekend", trip => trip.Mountains())
        .User("What should I pack?")));
}
if (warmed.Contains(SupportPrompt.SchemaName))
{
    calls.Add(("support: gold chain", SupportPrompt.Create()
        .Handbook()
        .Customer(tier: "gold")
        .User("My chain broke after two weeks. What can I do?")));
}

// Greedy for a real model. The synthetic model's greedy answer is one byte repeated, so it samples
// (seeded, reproducible) to show that text really streams.
var options = settings.ModelPath is null
    ? new GenerationOptions { MaxTokens = settings.MaxTokens, Temperature = 1.5f, TopK = 64, Seed = 42 }
    : new GenerationOptions { MaxTokens = settings.MaxTokens, Temperature = 0 };
var table = new TtftTable();
foreach (var (name, request) in calls)
{
    Console.WriteLine();
    Console.WriteLine($"== {name}");
    var stats = new PromptRunStats();
    Console.Write("   answer: ");
    await foreach (string piece in engine.StreamAsync(request, options, stats))
        Console.Write(Printable(piece));
    Console.WriteLine();

    var uncached = await engine.RunUncachedAsync(request, options);
    table.Add(name, stats, uncached.Stats);
}

Console.WriteLine();
table.Print();
var counters = engine.GetCounters();
Console.WriteLine($"Cache: {counters.SegmentsComputed} segments computed, {counters.SegmentsLoaded} loaded from the store, {counters.ModuleHits} module hits, {counters.ReusedTokens} tokens reused.");
if (settings.ModelPath is null)
    Console.WriteLine("Reminder: the embedded model is synthetic (random weights), so its answers are meaningless; the timings are real.");
return 0;

// A synthetic model emits arbitrary bytes: show control characters as '·' so the terminal stays sane.
static string Printable(string text) => new([.. text.Select(c => char.IsControl(c) ? '·' : c)]);
