using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using PromptCache.Engine;
using PromptCache.Hosting;
using PromptCache.Pml.Requests;
using PromptCache.Runtime.Generation;

namespace Service;

/// <summary>
/// Runs the endpoints' prompts: 503 while the cache is still warming, 400 with the engine's message
/// for a request that does not fit its schema (an argument over its slot), else the answer.
/// </summary>
internal sealed class Answers(IPromptCache cache, IChatClient chat, PromptCacheReadiness readiness, IOptions<PromptCacheOptions> options)
{
    private readonly bool _synthetic = options.Value.Model is null;

    // A real model answers greedily. The embedded synthetic model's greedy answer is one byte repeated,
    // so it samples (seeded: the same answer every time) to show that text really streams.
    private GenerationOptions Generation => _synthetic
        ? new GenerationOptions { MaxTokens = 48, Temperature = 1f, TopK = 64, Seed = 42 }
        : new GenerationOptions { MaxTokens = 256 };

    private string? Note => _synthetic ? "embedded synthetic model: random weights, so the text is meaningless (set PromptCache:Model)" : null;

    public async Task StreamAsync(HttpContext http, PromptRequest request, CancellationToken ct)
    {
        if (NotReady() is { } wait)
        {
            await wait.ExecuteAsync(http);
            return;
        }
        await using var pieces = cache.StreamAsync(request, Generation, ct).GetAsyncEnumerator(ct);
        bool more;
        try
        {
            // The request is validated before the first piece: failing here still allows a clean 400.
            more = await pieces.MoveNextAsync();
        }
        catch (PromptCacheException e)
        {
            await Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest).ExecuteAsync(http);
            return;
        }
        http.Response.ContentType = "text/plain; charset=utf-8";
        if (Note is { } note) http.Response.Headers["X-PromptCache-Note"] = note;
        for (; more; more = await pieces.MoveNextAsync())
        {
            await http.Response.WriteAsync(pieces.Current, ct);
            await http.Response.Body.FlushAsync(ct);
        }
    }

    public async Task<IResult> RunAsync(PromptRequest request, CancellationToken ct)
    {
        if (NotReady() is { } wait) return wait;
        try
        {
            var result = await cache.RunAsync(request, Generation, ct);
            return Results.Ok(new
            {
                text = result.Text,
                ttftMs = result.TimeToFirstToken.TotalMilliseconds,
                prefillTokens = result.Stats.PrefillTokens,
                cachedTokens = result.Stats.CachedTokens,
                moduleHits = result.Stats.ModuleHits,
                generatedTokens = result.Stats.GeneratedTokens,
                note = Note,
            });
        }
        catch (PromptCacheException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest);
        }
    }

    public async Task<IResult> ChatAsync(ChatRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Message)) return Results.Problem("'message' is required.", statusCode: StatusCodes.Status400BadRequest);
        var generation = Generation;
        var response = await chat.GetResponseAsync([new ChatMessage(ChatRole.User, request.Message)], new ChatOptions
        {
            MaxOutputTokens = request.MaxTokens ?? generation.MaxTokens,
            Temperature = generation.Temperature,
            TopK = generation.TopK,
            Seed = generation.Seed,
        }, ct);
        return Results.Ok(new
        {
            text = response.Text,
            inputTokens = response.Usage?.InputTokenCount,
            outputTokens = response.Usage?.OutputTokenCount,
            finishReason = response.FinishReason?.Value,
            note = Note,
        });
    }

    private IResult? NotReady() => readiness.Status == PromptCacheWarmupStatus.Ready ? null : Results.Problem(
        readiness.Status == PromptCacheWarmupStatus.Failed
            ? "PromptCache warming failed: " + readiness.Failure?.Message
            : $"PromptCache is warming ({readiness.CompletedSchemas}/{readiness.TotalSchemas} schemas); retry shortly.",
        statusCode: StatusCodes.Status503ServiceUnavailable);
}
