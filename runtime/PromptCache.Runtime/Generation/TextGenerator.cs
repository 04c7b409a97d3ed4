using System.Diagnostics;
using System.Runtime.CompilerServices;
using PromptCache.Runtime.Inference;
using PromptCache.Tokenizers;

namespace PromptCache.Runtime.Generation;

/// <summary>
/// Autoregressive generation on a <see cref="LlamaModel"/>: one prefill of the prompt (attending to
/// any cached context segments), then one token per step, each step appending its K/V to a
/// session segment so that nothing is recomputed.
/// </summary>
public sealed class TextGenerator
{
    private readonly LlamaModel _model;
    private readonly Tokenizer? _tokenizer;

    /// <summary>Creates a generator. Without a tokenizer, tokens carry no text and stop strings are unavailable.</summary>
    public TextGenerator(LlamaModel model, Tokenizer? tokenizer = null)
    {
        _model = model;
        _tokenizer = tokenizer;
    }

    /// <summary>Generates a continuation of <paramref name="promptIds"/>, streaming tokens as they are sampled.</summary>
    /// <param name="promptIds">The prompt (with BOS if the model wants one); at least one token.</param>
    /// <param name="options">Sampling and stopping; null is greedy with 256 tokens at most.</param>
    /// <param name="stats">Filled with TTFT and tokens/s while generation runs.</param>
    /// <param name="cancellationToken">Stops generation between tokens (and between layers).</param>
    /// <remarks>When stop strings hold back text until generation ends, a final item with
    /// <see cref="GeneratedToken.Id"/> −1 carries that text.</remarks>
    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(IReadOnlyList<int> promptIds, GenerationOptions? options = null,
        GenerationStats? stats = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options ??= new GenerationOptions();
        stats ??= new GenerationStats();
        if (promptIds.Count == 0) throw new ArgumentException("The prompt needs at least one token.", nameof(promptIds));
        if (options.StopStrings.Count > 0 && _tokenizer is null)
            throw new InvalidOperationException("Stop strings need a tokenizer to turn tokens into text.");
        var sampler = new Sampler(options);
        var stopIds = new HashSet<int>(options.StopTokenIds);
        if (!options.IgnoreEos && _tokenizer?.EosId is int eos) stopIds.Add(eos);
        int[] positions = PromptPositions(promptIds.Count, options);
        int nextPosition = positions.Max() + 1;

        var clock = Stopwatch.StartNew();
        using var session = _model.CreateSegment(options.KvDataType, promptIds.Count + Math.Min(options.MaxTokens, 4096));
        var history = new List<int>(promptIds);
        var decoder = _tokenizer?.CreateStreamingDecoder(skipSpecialTokens: true);
        var stopFilter = new StopStringFilter(options.StopStrings);
        stats.PromptTokens = promptIds.Count;
        stats.StopReason = StopReason.MaxTokens;

        int[] prompt = promptIds.ToArray();
        var logits = await Task.Run(() => _model.Forward(prompt, positions, options.Context, session, LogitsMode.Last, cancellationToken), cancellationToken).ConfigureAwait(false);
        for (int index = 0; index < options.MaxTokens; index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int next = sampler.Next(logits.Row(0), history);
            stats.GeneratedTokens = index + 1;
            if (index == 0) stats.TimeToFirstToken = clock.Elapsed;
            else stats.DecodeTime = clock.Elapsed - stats.TimeToFirstToken;
            if (stopIds.Contains(next))
            {
                stats.StopReason = StopReason.StopToken;
                break;
            }
            history.Add(next);
            string text = decoder?.Step(next) ?? "";
            if (options.StopStrings.Count > 0) text = stopFilter.Push(text);
            yield return new GeneratedToken(next, text, index);
            if (stopFilter.Stopped)
            {
                stats.StopReason = StopReason.StopString;
                break;
            }
            if (index + 1 == options.MaxTokens) break;
            int position = nextPosition++;
            logits = await Task.Run(() => _model.Forward([next], [position], options.Context, session, LogitsMode.Last, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        string rest = stopFilter.Flush();
        if (rest.Length > 0) yield return new GeneratedToken(-1, rest, stats.GeneratedTokens);
    }

    private static int[] PromptPositions(int count, GenerationOptions options)
    {
        if (options.PromptPositions is { } given)
        {
            if (given.Count != count) throw new ArgumentException($"{count} prompt tokens but {given.Count} prompt positions.", nameof(options));
            return given.ToArray();
        }
        int first = 0;
        foreach (var segment in options.Context)
            foreach (int p in segment.Positions) first = Math.Max(first, p + 1);
        return Enumerable.Range(first, count).ToArray();
    }
}
