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

        // Unnormalised probabilities over the whole vocabulary (max subtracted for stability).
        float maxScore = scores[ArgMax(scores)];
        var probs = new double[scores.Length];
        double total = 0;
        for (int i = 0; i < probs.Length; i++) total += probs[i] = Math.Exp((scores[i] - maxScore) / _options.Temperature);

        // Only top-k and top-p need an order. Sorting a 128K vocabulary every token costs milliseconds,
        // so only the tokens that can matter are sorted: the k best, or for top-p those within a factor
        // 1e-12 of the best, falling back to all of them if the nucleus reaches further.
        int[] order = Candidates(probs, total);
        int count = order.Length;
        double kept = 0;
        foreach (int id in order) kept += probs[id];
        if (_options.MinP > 0)
        {
            // The best token has probability 1 before normalising.
            int n = 0;
            while (n < count && probs[order[n]] >= _options.MinP) n++;
            count = Math.Max(n, 1);
            kept = 0;
            for (int i = 0; i < count; i++) kept += probs[order[i]];
        }
        if (_options.TopP < 1)
        {
            double cumulative = 0, target = _options.TopP * kept;
            int n = 0;
            while (n < count)
            {
                cumulative += probs[order[n++]];
                if (cumulative >= target) break;
            }
            count = n;
            kept = cumulative;
        }
        double u = _random.NextDouble() * kept;
        for (int i = 0; i < count; i++)
        {
            u -= probs[order[i]];
            if (u < 0) return order[i];
        }
        return order[count - 1];
    }

    // The candidate token ids, most likely first. Dropping the tokens below `floor` before sorting is
    // exact when min-p would drop them anyway, when the k best are all above it, or when the top-p
    // nucleus fits in the mass above it; otherwise every token is sorted.
    private int[] Candidates(double[] probs, double total)
    {
        if (_options.TopK <= 0 && _options.TopP >= 1 && _options.MinP <= 0)
            return Enumerable.Range(0, probs.Length).ToArray(); // plain sampling: order irrelevant
        int k = _options.TopK > 0 ? Math.Min(_options.TopK, probs.Length) : probs.Length;
        double floor = _options.MinP > 0 ? _options.MinP : 1e-12;
        var ids = new List<int>();
        double mass = 0;
        for (int i = 0; i < probs.Length; i++)
        {
            if (probs[i] < floor) continue;
            ids.Add(i);
            mass += probs[i];
        }
        bool exact = _options.MinP > 0
                     || (_options.TopK > 0 && ids.Count >= k)
                     || (_options.TopP < 1 && _options.TopP * total <= mass);
        int[] order = exact ? ids.ToArray() : Enumerable.Range(0, probs.Length).ToArray();
        if (k < order.Length / 4) order = KBest(probs, order, k); // top-k of a large set: a heap, not a full sort
        var keys = new double[order.Length];
        for (int i = 0; i < order.Length; i++) keys[i] = -probs[order[i]];
        Array.Sort(keys, order);
        return order.Length > k ? order[..k] : order;
    }

    private static int[] KBest(double[] probs, int[] ids, int k)
    {
        var heap = new PriorityQueue<int, double>(k + 1);
        foreach (int id in ids)
        {
            heap.Enqueue(id, probs[id]);
            if (heap.Count > k) heap.Dequeue();
        }
        var best = new int[heap.Count];
        for (int i = best.Length - 1; i >= 0; i--) best[i] = heap.Dequeue(); // the heap yields the smallest first
        return best;
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
