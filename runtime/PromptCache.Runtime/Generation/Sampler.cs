namespace PromptCache.Runtime.Generation;

/// <summary>
/// Picks the next token from a row of logits: repetition penalty, then greedy or temperature
/// sampling restricted by top-k, min-p and top-p, in that order (llama.cpp's and HF's usual chain).
/// </summary>
public sealed class Sampler
{
    private readonly GenerationOptions _options;
    private readonly Random _random;

    /// <summary>Creates a sampler; its random sequence is fixed by <see cref="GenerationOptions.Seed"/>.</summary>
    public Sampler(GenerationOptions options)
    {
        options.Validate();
        _options = options;
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
    }

    /// <summary>Chooses a token id.</summary>
    /// <param name="logits">One row of vocabulary logits.</param>
    /// <param name="history">Tokens seen so far (prompt and generated), for the repetition penalty.</param>
    public int Next(ReadOnlySpan<float> logits, IReadOnlyCollection<int> history)
    {
        float[] scores = logits.ToArray();
        if (_options.RepetitionPenalty != 1f)
        {
            // HF: a seen token's positive logit is divided by the penalty, a negative one multiplied.
            foreach (int id in history.Distinct())
            {
                if ((uint)id >= (uint)scores.Length) continue;
                scores[id] = scores[id] > 0 ? scores[id] / _options.RepetitionPenalty : scores[id] * _options.RepetitionPenalty;
            }
        }
        if (_options.Temperature <= 0) return ArgMax(scores);

        // Candidates sorted by score, most likely first.
        int[] order = Enumerable.Range(0, scores.Length).ToArray();
        float[] keys = Array.ConvertAll(scores, s => -s);
        Array.Sort(keys, order);
        int count = order.Length;
        if (_options.TopK > 0) count = Math.Min(count, _options.TopK);

        double max = scores[order[0]] / _options.Temperature;
        var probs = new double[count];
        double total = 0;
        for (int i = 0; i < count; i++)
        {
            probs[i] = Math.Exp(scores[order[i]] / _options.Temperature - max);
            total += probs[i];
        }
        if (_options.MinP > 0)
        {
            // probs[0] is the largest (= 1 before normalising).
            double floor = _options.MinP * probs[0];
            int kept = 1;
            while (kept < count && probs[kept] >= floor) kept++;
            count = kept;
            total = probs.AsSpan(0, count).ToArray().Sum();
        }
        if (_options.TopP < 1)
        {
            double cumulative = 0;
            int kept = 0;
            while (kept < count)
            {
                cumulative += probs[kept++] / total;
                if (cumulative >= _options.TopP) break;
            }
            count = kept;
            total = probs.AsSpan(0, count).ToArray().Sum();
        }
        double u = _random.NextDouble() * total;
        for (int i = 0; i < count; i++)
        {
            u -= probs[i];
            if (u < 0) return order[i];
        }
        return order[count - 1];
    }

    /// <summary>The index of the largest value (the first one on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
