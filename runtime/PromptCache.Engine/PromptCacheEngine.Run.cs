using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using PromptCache.Engine.Execution;
using PromptCache.Pml;
using PromptCache.Pml.Requests;
using PromptCache.Runtime.Generation;
using PromptCache.Runtime.Inference;

namespace PromptCache.Engine;

// Prompt calls: validate, plan, one forward of the new tokens over the cached segments, then decode.
public sealed partial class PromptCacheEngine
{
    /// <inheritdoc />
    public IAsyncEnumerable<string> StreamAsync(PromptRequest request, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        StreamAsync(request, options, null, cancellationToken);

    /// <summary>Streams the answer; <paramref name="stats"/> receives TTFT and cache accounting as the call runs.</summary>
    public async IAsyncEnumerable<string> StreamAsync(PromptRequest request, GenerationOptions? options, PromptRunStats? stats,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var (_, text) in GenerateAsync(request, options, stats ?? new PromptRunStats(), useCache: true, cancellationToken).ConfigureAwait(false))
        {
            if (text.Length > 0) yield return text;
        }
    }

    /// <inheritdoc />
    public Task<PromptResult> RunAsync(PromptRequest request, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        CollectAsync(request, options, useCache: true, cancellationToken);

    /// <summary>
    /// The same call without the cache: one full prefill of the prompt's tokens at consecutive
    /// positions (what a plain LLM call does), for comparison. Prefix-exact requests give the same
    /// tokens as <see cref="RunAsync(PromptRequest, GenerationOptions?, CancellationToken)"/>.
    /// </summary>
    public Task<PromptResult> RunUncachedAsync(PromptRequest request, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        CollectAsync(request, options, useCache: false, cancellationToken);

    /// <summary>
    /// Runs <paramref name="requests"/> throwaway calls of a warmed schema's default request (its default modules,
    /// every parameter filled with its scaffold, a short suffix, a few greedy tokens), so that the request path's
    /// code is compiled and optimised, and the backend has tuned its kernels and built its launch graphs, before
    /// real calls arrive. A process's first calls otherwise run the JIT's unoptimised code: on the H100 (synthetic
    /// 7B shape, 4096 cached tokens) 30 rehearsal calls took the first real cached call from 11.9 to 8.3 ms and the
    /// median of the next 30 from 7.9 to 7.4 ms. The engine's request metrics do not count these calls.
    /// </summary>
    /// <param name="schemaName">A warmed schema.</param>
    /// <param name="requests">Calls to run (0 runs none).</param>
    /// <param name="cancellationToken">Stops between forward passes.</param>
    /// <exception cref="PromptCacheException">The schema is not warmed.</exception>
    public async Task RehearseAsync(string schemaName, int requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schemaName);
        ArgumentOutOfRangeException.ThrowIfNegative(requests);
        var request = RehearsalRequest.For(Entry(schemaName).Schema);
        var options = new GenerationOptions { MaxTokens = RehearsalTokens, Temperature = 0, IgnoreEos = true };
        for (int i = 0; i < requests; i++)
            await CollectAsync(request, options, useCache: true, cancellationToken, new PromptRunStats { Rehearsal = true }).ConfigureAwait(false);
    }

    // Tokens each rehearsal call generates: its first forward, then decode steps.
    private const int RehearsalTokens = 3;

    /// <summary>Runs a <c>&lt;prompt schema="..."&gt;</c> document against its (warmed) schema.</summary>
    public Task<PromptResult> RunAsync(string promptPml, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        RunAsync(ParsePrompt(promptPml), options, cancellationToken);

    /// <summary>
    /// Parses a <c>&lt;prompt&gt;</c> document loaded at run time and validates it against its warmed
    /// schema: an unknown module or parameter is an error listing the valid names.
    /// </summary>
    /// <exception cref="PromptCacheException">The prompt is malformed, names an unknown schema, or does not fit its schema.</exception>
    public PromptRequest ParsePrompt(string promptPml, string fileName = "")
    {
        ArgumentNullException.ThrowIfNull(promptPml);
        var first = PmlParser.ParsePrompt(promptPml, fileName);
        if (first.Request is null)
            throw new PromptCacheException("The prompt is not a <prompt> document: " + string.Join("; ", first.Diagnostics.Select(d => d.ToString())));
        var entry = Entry(first.Request.SchemaName);
        var parsed = PmlParser.ParsePrompt(promptPml, fileName, entry.Schema.Schema);
        if (parsed.Request is null || parsed.HasErrors)
        {
            throw new PromptCacheException($"The prompt does not fit schema '{entry.Schema.Name}': " +
                string.Join("; ", parsed.Diagnostics.Where(d => d.IsError).Select(d => d.ToString())));
        }
        return new PromptRequest(parsed.Request.SchemaName, entry.Schema.Schema.ContentHash, parsed.Request.Modules, parsed.Request.Suffix);
    }

    /// <summary>
    /// The next-token logits after the prompt (one row of vocabulary size), with the cache or by full
    /// prefill: the fidelity check compares the two.
    /// </summary>
    /// <param name="request">The prompt.</param>
    /// <param name="useCache">Reuse cached segments; false computes every token.</param>
    /// <param name="schemaPositions">For the full prefill: keep the schema's positions (gaps included) instead of
    /// consecutive ones. With it, any request whose cached modules were computed with the context it selects matches
    /// the cached logits, which is how the tests check the cache machinery.</param>
    /// <param name="cancellationToken">Cancels the forward pass.</param>
    public async Task<float[]> ComputeLogitsAsync(PromptRequest request, bool useCache, bool schemaPositions = false, CancellationToken cancellationToken = default)
    {
        var plan = Plan(request);
        var (ids, positions, context) = Inputs(plan, useCache);
        if (!useCache && schemaPositions) positions = plan.AllPositions;
        var result = await ForwardAsync(ids, positions, context, null, LogitsMode.Last, cancellationToken).ConfigureAwait(false);
        return result.Row(0).ToArray();
    }

    /// <summary>
    /// Starts a conversation whose first turn is <paramref name="request"/>: call
    /// <see cref="PromptConversation.StreamAsync"/> for the first answer, then
    /// <see cref="PromptConversation.Add"/> and stream again for each following turn.
    /// </summary>
    public PromptConversation StartConversation(PromptRequest request) => new(this, Entry(request.SchemaName).Schema, Plan(request));

    private async Task<PromptResult> CollectAsync(PromptRequest request, GenerationOptions? options, bool useCache, CancellationToken ct,
        PromptRunStats? stats = null)
    {
        stats ??= new PromptRunStats();
        var text = new StringBuilder();
        var ids = new List<int>();
        await foreach (var (id, piece) in GenerateAsync(request, options, stats, useCache, ct).ConfigureAwait(false))
        {
            if (id >= 0) ids.Add(id);
            text.Append(piece);
        }
        return new PromptResult(text.ToString(), ids, stats);
    }

    private RequestPlan Plan(PromptRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var entry = Entry(request.SchemaName);
        string? problems = RequestPlanner.Validate(entry.Schema, request, Tokenizer, Options.TruncateLongArguments);
        if (problems is not null) throw new PromptCacheException(problems);
        return RequestPlanner.Plan(entry.Schema, entry.Segments, request, Tokenizer, Options.TruncateLongArguments);
    }

    private static (int[] Ids, int[] Positions, IReadOnlyList<KvSegment> Context) Inputs(RequestPlan plan, bool useCache) =>
        useCache
            ? (plan.NewIds, plan.NewPositions, plan.Context)
            : (plan.AllIds, Enumerable.Range(0, plan.AllIds.Length).ToArray(), []);

    private async IAsyncEnumerable<(int Id, string Text)> GenerateAsync(PromptRequest request, GenerationOptions? options, PromptRunStats stats,
        bool useCache, [EnumeratorCancellation] CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        options ??= new GenerationOptions();
        var plan = Plan(request);
        var (ids, positions, context) = Inputs(plan, useCache);
        int contextLength = Model.Config.ContextLength;
        if (contextLength > 0 && positions[^1] + 1 + options.MaxTokens > contextLength)
        {
            throw new PromptCacheException($"Schema '{request.SchemaName}': the prompt ends at position {positions[^1] + 1} and {options.MaxTokens} more tokens would pass the model's context window of {contextLength}. Lower MaxTokens or shorten the suffix.");
        }

        stats.UsedCache = useCache;
        stats.CachedTokens = useCache ? plan.CachedTokens : 0;
        stats.ModuleHits = useCache ? plan.ModuleHits : 0;
        var session = _sessions.Rent(Options.KvDataType, ids.Length + Math.Min(options.MaxTokens, 4096));
        try
        {
            var state = new DecodeState(session, [.. plan.AllIds], [.. plan.AllPositions]);
            await foreach (var item in DecodeAsync(ids, positions, context, state, options, stats, clock, ct).ConfigureAwait(false))
                yield return item;
        }
        finally
        {
            _sessions.Return(session);
        }
    }

    /// <summary>What a decode leaves behind for a following turn.</summary>
    internal sealed class DecodeState(KvSegment session, List<int> history, List<int> historyPositions)
    {
        public KvSegment Session { get; } = session;

        /// <summary>Every token so far (prompt and generated), for the repetition penalty and for comparisons.</summary>
        public List<int> History { get; } = history;

        /// <summary>The position of each <see cref="History"/> token.</summary>
        public List<int> HistoryPositions { get; } = historyPositions;

        /// <summary>The last sampled token when generation stopped at MaxTokens before pushing it through the model.</summary>
        public int? Unforwarded { get; set; }

        /// <summary>The next free position.</summary>
        public int NextPosition { get; set; }
    }

    // One forward of the new tokens (appended to the state's session segment), then one token per step.
    internal async IAsyncEnumerable<(int Id, string Text)> DecodeAsync(int[] ids, int[] positions, IReadOnlyList<KvSegment> context,
        DecodeState state, GenerationOptions options, PromptRunStats stats, Stopwatch clock, [EnumeratorCancellation] CancellationToken ct)
    {
        stats.PrefillTokens = ids.Length;
        stats.StopReason = StopReason.MaxTokens;
        var sampler = new Sampler(options);
        var stops = new HashSet<int>(options.StopTokenIds);
        if (!options.IgnoreEos && Tokenizer.EosId is int eos) stops.Add(eos);
        var decoder = Tokenizer.CreateStreamingDecoder(skipSpecialTokens: true);
        var stopFilter = options.StopStrings.Count > 0 ? new StopStringFilter(options.StopStrings) : null;
        // What the streaming decoder returned so far, to find the bytes it still holds when generation ends.
        var generated = new List<int>();
        var decoded = new StringBuilder();
        int next = positions[^1] + 1;
        state.Unforwarded = null;

        var planned = clock.Elapsed;
        var logits = await ForwardAsync(ids, positions, context, state.Session, LogitsMode.Last, ct).ConfigureAwait(false);
        stats.PlanningTime = planned;
        stats.PrefillTime = clock.Elapsed - planned;
        state.NextPosition = next;
        if (options.MaxTokens == 0) Finish(stats, clock);
        for (int index = 0; index < options.MaxTokens; index++)
        {
            int token = sampler.Next(logits.Row(0), state.History);
            stats.GeneratedTokens = index + 1;
            if (index == 0) Finish(stats, clock);
            if (stops.Contains(token))
            {
                stats.StopReason = StopReason.StopToken;
                break;
            }
            state.History.Add(token);
            state.HistoryPositions.Add(next);
            generated.Add(token);
            string piece = decoder.Step(token) ?? "";
            decoded.Append(piece);
            yield return (token, stopFilter is null ? piece : stopFilter.Push(piece));
            if (stopFilter is { Stopped: true } || index + 1 == options.MaxTokens)
            {
                if (stopFilter is { Stopped: true }) stats.StopReason = StopReason.StopString;
                state.Unforwarded = token;
                break;
            }
            logits = await ForwardAsync([token], [next++], context, state.Session, LogitsMode.Last, ct).ConfigureAwait(false);
            state.NextPosition = next;
        }
        string tail = stopFilter is { Stopped: true } ? "" : DecoderTail(generated, decoded.ToString());
        if (stopFilter is not null)
        {
            tail = stopFilter.Push(tail);
            if (stopFilter.Stopped) stats.StopReason = StopReason.StopString;
            else tail += stopFilter.Flush();
        }
        // Id -1: text without a token of its own (held-back bytes or held-back stop-string prefixes).
        if (tail.Length > 0) yield return (-1, tail);
        stats.TotalTime = clock.Elapsed;
    }

    // The streaming decoder holds the bytes of an unfinished UTF-8 character; at the end they are final, so emit
    // what a full decode gives beyond the text already streamed (invalid bytes become U+FFFD, as Encoding.UTF8 does).
    private string DecoderTail(List<int> generated, string streamed)
    {
        if (generated.Count == 0) return "";
        string full = Tokenizer.Decode(generated, true);
        return full.Length > streamed.Length && full.StartsWith(streamed, StringComparison.Ordinal) ? full[streamed.Length..] : "";
    }

    private void Finish(PromptRunStats stats, Stopwatch clock)
    {
        stats.TimeToFirstToken = clock.Elapsed;
        if (!stats.Rehearsal) _metrics.Request(stats.UsedCache, stats.ModuleHits, stats.PrefillTokens, stats.CachedTokens, stats.TimeToFirstToken);
    }
}
