using PromptCache.Pml.Requests;
using PromptCache.Runtime.Generation;

namespace PromptCache.Engine.Tests;

public sealed class ExecutionTests
{
    private static readonly GenerationOptions Greedy = new() { MaxTokens = 8, IgnoreEos = true };

    [Fact]
    public async Task Prefix_exact_request_gives_the_same_logits_as_a_full_prefill()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        // Default members, modules in schema order, the argument fills its slot exactly as the scaffold did.
        // The default member "beach" is shorter than "city", so a position gap follows it: the full prefill
        // keeps the schema's positions to match (a prefill at consecutive positions is a different prompt).
        var request = Requests.TripDefault("a week", "Plan it.");
        var cached = await engine.ComputeLogitsAsync(request, useCache: true);
        var full = await engine.ComputeLogitsAsync(request, useCache: false, schemaPositions: true);
        Assert.True(TestSchemas.MaxAbsDiff(cached, full) <= 1e-3f, $"max abs diff {TestSchemas.MaxAbsDiff(cached, full)}");
        var consecutive = await engine.ComputeLogitsAsync(request, useCache: false);
        Assert.True(TestSchemas.MaxAbsDiff(cached, consecutive) > 1e-3f, "the gap after 'beach' changes the positions of what follows");

        var a = await engine.RunAsync(request, Greedy);
        var b = await engine.RunUncachedAsync(request, Greedy);
        Assert.True(a.Stats.UsedCache);
        Assert.False(b.Stats.UsedCache);
        Assert.True(a.Stats.PrefillTokens < b.Stats.PrefillTokens);
    }

    [Fact]
    public async Task Non_default_union_members_are_precomputed_with_the_default_context_before_them()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Pick, "pick"));
        // Each of these is prefix-exact, so each member's segment must equal a full prefill's K/V.
        foreach (var (member, nested) in new[] { ("a", (string?)null), ("b", "b1"), ("b", "b2") })
        {
            var request = Requests.Pick(member, nested, " so");
            var cached = await engine.ComputeLogitsAsync(request, useCache: true);
            var full = await engine.ComputeLogitsAsync(request, useCache: false);
            Assert.True(TestSchemas.MaxAbsDiff(cached, full) <= 1e-3f, $"{member}/{nested}: max abs diff {TestSchemas.MaxAbsDiff(cached, full)}");
            var a = await engine.RunAsync(request, Greedy);
            var b = await engine.RunUncachedAsync(request, Greedy);
            Assert.Equal(b.TokenIds, a.TokenIds);
        }
    }

    [Fact]
    public async Task Non_prefix_requests_run_and_compute_only_arguments_and_suffix()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var request = Requests.TripCity("3", "Oslo", "Go?");
        var result = await engine.RunAsync(request, Greedy);
        Assert.Equal(8, result.TokenIds.Count);
        // "3" (1) + "Oslo" (4) + the user turn: 1 + 5 ("user\n") + 3 + 2 markers + generation prompt 1 + 10.
        int suffix = engine.Tokenizer.EncodeToIds("<|im_start|>user\nGo?<|im_end|>\n<|im_start|>assistant\n").Count;
        Assert.Equal(1 + 4 + suffix, result.Stats.PrefillTokens);
        Assert.Equal(5, result.Stats.ModuleHits); // root, intro, plan, plan/city, plan/city/new
        Assert.True(result.TimeToFirstToken > TimeSpan.Zero);
        // The phases before the first token: planning, then the forward pass; sampling is what remains.
        Assert.True(result.Stats.PlanningTime > TimeSpan.Zero && result.Stats.PrefillTime > TimeSpan.Zero);
        Assert.True(result.Stats.PlanningTime + result.Stats.PrefillTime <= result.TimeToFirstToken);

        var counters = engine.GetCounters();
        Assert.Equal(1, counters.CachedRequests);
        Assert.Equal(5, counters.ModuleHits);
    }

    [Fact]
    public async Task An_argument_longer_than_its_slot_is_an_error_naming_parameter_limit_and_count()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var e = await Assert.ThrowsAsync<PromptCacheException>(() => engine.RunAsync(Requests.TripCity("3", "Llanfairpwllgwyngyll", "Go?"), Greedy));
        Assert.Contains("parameter 'city'", e.Message);
        Assert.Contains("module 'plan/city'", e.Message);
        Assert.Contains("20 tokens", e.Message);
        Assert.Contains("slot of 8", e.Message);
    }

    [Fact]
    public async Task Truncation_is_an_explicit_option()
    {
        await using var engine = PromptCacheEngine.CreateSynthetic(Synthetic.SyntheticShape.Tiny, 7, new PromptCacheEngineOptions { TruncateLongArguments = true });
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var result = await engine.RunAsync(Requests.TripCity("3", "Llanfairpwllgwyngyll", "Go?"), Greedy);
        Assert.Equal(8, result.TokenIds.Count);
    }

    [Fact]
    public async Task An_unknown_module_in_a_run_time_prompt_lists_the_valid_names()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var e = Assert.Throws<PromptCacheException>(() => engine.ParsePrompt("<prompt schema=\"trip\"><plan><mountains/></plan><user>Hi</user></prompt>"));
        Assert.Contains("mountains", e.Message);
        Assert.Contains("beach, city", e.Message);

        var p = Assert.Throws<PromptCacheException>(() => engine.ParsePrompt("<prompt schema=\"trip\"><intro nights=\"2\"/></prompt>"));
        Assert.Contains("nights", p.Message);
        Assert.Contains("days", p.Message);
    }

    [Fact]
    public async Task A_run_time_prompt_runs_like_the_equivalent_typed_request()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var typed = await engine.RunAsync(Requests.TripCity("3", "Oslo", "Go?"), Greedy);
        var parsed = await engine.RunAsync("<prompt schema=\"trip\"><intro days=\"3\"/><plan><city city=\"Oslo\"><new/></city></plan><user>Go?</user></prompt>", Greedy);
        Assert.Equal(typed.TokenIds, parsed.TokenIds);
    }

    [Fact]
    public async Task Eight_concurrent_calls_give_the_sequential_results()
    {
        await using var engine = PromptCacheEngine.CreateSynthetic(Synthetic.SyntheticShape.Tiny, 7, new PromptCacheEngineOptions { MaxConcurrentForwards = 4 });
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var requests = Enumerable.Range(0, 8).Select(i => i % 2 == 0
            ? Requests.TripCity(i.ToString(System.Globalization.CultureInfo.InvariantCulture), "Rome" + i, "Go " + i)
            : Requests.TripDefault("day " + i, "Plan " + i)).ToList();
        var sequential = new List<IReadOnlyList<int>>();
        foreach (var r in requests) sequential.Add((await engine.RunAsync(r, Greedy)).TokenIds);
        var concurrent = await Task.WhenAll(requests.Select(r => Task.Run(() => engine.RunAsync(r, Greedy))));
        for (int i = 0; i < requests.Count; i++) Assert.Equal(sequential[i], concurrent[i].TokenIds);
    }

    [Fact]
    public async Task Streaming_yields_the_same_text_and_honours_cancellation()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var request = Requests.TripDefault("a week", "Plan it.");
        var whole = await engine.RunAsync(request, Greedy);
        var text = new System.Text.StringBuilder();
        await foreach (var piece in engine.StreamAsync(request, Greedy)) text.Append(piece);
        Assert.Equal(whole.Text, text.ToString());

        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in engine.StreamAsync(request, new GenerationOptions { MaxTokens = 100, IgnoreEos = true }, cts.Token)) cts.Cancel();
        });
    }

    [Fact]
    public async Task A_request_for_an_unwarmed_schema_says_which_are_warmed()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Pick, "pick"));
        var e = await Assert.ThrowsAsync<PromptCacheException>(() => engine.RunAsync(new PromptRequest("nope", "", [], [PromptSuffixPart.Plain("x")]), Greedy));
        Assert.Contains("'nope' is not warmed", e.Message);
        Assert.Contains("pick", e.Message);
    }
}

public sealed class ConversationTests
{
    [Fact]
    public async Task A_later_turn_computes_only_its_new_tokens_and_matches_a_full_recompute()
    {
        await using var engine = TestSchemas.TinyEngine();
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        using var conversation = engine.StartConversation(Requests.TripCity("3", "Oslo", "Go?"));
        var first = await conversation.RunAsync(new GenerationOptions { MaxTokens = 5, IgnoreEos = true });
        Assert.Equal(5, first.TokenIds.Count);

        conversation.Add(PromptSuffixPart.User("More?"));
        var second = await conversation.RunAsync(new GenerationOptions { MaxTokens = 1, IgnoreEos = true });
        // New tokens: the answer's last token, "<|im_end|>\n", the user turn, the generation prompt.
        int expected = 1 + 2 + engine.Tokenizer.EncodeToIds("<|im_start|>user\nMore?<|im_end|>\n<|im_start|>assistant\n").Count;
        Assert.Equal(expected, second.Stats.PrefillTokens);
        Assert.Equal(2, conversation.Turns);

        // The same history computed from scratch at the same positions picks the same next token.
        var ids = conversation.HistoryIds.ToArray();
        var positions = conversation.HistoryPositions.ToArray();
        Assert.Equal(ids.Length, positions.Length);
        var full = engine.Model.Forward(ids[..^1], positions[..^1], [], null, Runtime.Inference.LogitsMode.Last);
        Assert.Equal(ids[^1], Runtime.Generation.Sampler.ArgMax(full.Row(0)));
    }
}
