// PromptCache as an ASP.NET Core service: Prompts/travel.pml becomes the typed TravelPrompt class
// (source generator); the cache loads the model and warms the schema at start-up in the background,
// /health/ready turns healthy when warming ends, and typed endpoints serve from cached module K/V.
//
//   dotnet run --project samples/Service -c Release                                 # embedded synthetic model
//   dotnet run --project samples/Service -c Release -- --PromptCache:Model=PATH      # a Hugging Face folder or a .gguf
//   curl localhost:5080/health/ready
//   curl "localhost:5080/plan?city=Lisbon&days=4%20days"
//   curl "localhost:5080/pack?destination=mountains&days=a%20weekend&budget=low"
//   curl -X POST localhost:5080/chat -H 'Content-Type: application/json' -d '{"message":"Hello!"}'
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using PromptCache.Hosting;
using Service;
using Service.Prompts;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddPromptCache(options => builder.Configuration.GetSection("PromptCache").Bind(options))
    .WarmSchemas()        // every schema in the catalog (the generator registers them when this assembly loads): here, TravelPrompt's
    .AddChatClient();     // an IChatClient over the same engine, for /chat
builder.Services.AddSingleton<Answers>();

var app = builder.Build();

// Readiness gates traffic until warming ends; liveness does not wait for it.
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });

// Streams a day-by-day plan for a city break. The union choice and the parameter slots are checked by the compiler;
// an argument longer than its slot is a 400 naming the parameter, its limit and its token count.
app.MapGet("/plan", (Answers answers, string city, string? days, HttpContext http, CancellationToken ct) =>
    answers.StreamAsync(http, TravelPrompt.Create()
        .Trip(days: days ?? "a week", trip => trip.City(city: city))
        .User("Plan my trip, day by day."), ct));

// A packing list, returned whole with its timing: where the time went, and how much came from the cache.
app.MapGet("/pack", (Answers answers, string destination, string? days, string? budget, CancellationToken ct) =>
{
    var prompt = TravelPrompt.Create().Trip(days: days ?? "a week", trip => destination switch
    {
        "beach" => trip.Beach(),
        "mountains" => trip.Mountains(),
        _ => trip.City(city: destination),
    });
    if (budget is not null) prompt = prompt.Budget(amount: budget);
    return answers.RunAsync(prompt.User("What should I pack?"), ct);
});

// Plain chat through Microsoft.Extensions.AI's IChatClient (no schema of ours: the message is the uncached suffix).
app.MapPost("/chat", (Answers answers, ChatRequest request, CancellationToken ct) => answers.ChatAsync(request, ct));

app.Run();

/// <summary>The body of POST /chat.</summary>
/// <param name="Message">The user's message.</param>
/// <param name="MaxTokens">Tokens to generate (default 64).</param>
public sealed record ChatRequest(string Message, int? MaxTokens);
