using PromptCache.Runtime.Generation;

namespace PromptCache.Runtime.Tests.Generation;

public sealed class SamplerTests
{
    private static readonly float[] Logits = [0.1f, 2.0f, 1.5f, -1f, 1.9f, 0.5f];

    [Fact]
    public void Temperature_zero_is_argmax()
    {
        Assert.Equal(1, new Sampler(new GenerationOptions()).Next(Logits, []));
    }

    [Fact]
    public void Top_k_one_is_greedy_even_when_hot()
    {
        var sampler = new Sampler(new GenerationOptions { Temperature = 5f, TopK = 1, Seed = 3 });
        for (int i = 0; i < 20; i++) Assert.Equal(1, sampler.Next(Logits, []));
    }

    [Fact]
    public void Same_seed_same_tokens_and_sampling_explores()
    {
        var options = new GenerationOptions { Temperature = 1.5f, Seed = 42 };
        var a = new Sampler(options);
        var b = new Sampler(options);
        var seqA = Enumerable.Range(0, 50).Select(_ => a.Next(Logits, [])).ToArray();
        var seqB = Enumerable.Range(0, 50).Select(_ => b.Next(Logits, [])).ToArray();
        Assert.Equal(seqA, seqB);
        Assert.True(seqA.Distinct().Count() >= 3, "a hot sampler should visit several tokens");
    }

    [Fact]
    public void Top_p_and_min_p_restrict_the_candidates()
    {
        // Top-3 by logit: 1 (2.0), 4 (1.9), 2 (1.5).
        var topP = new Sampler(new GenerationOptions { Temperature = 1f, TopP = 0.5f, Seed = 1 });
        Assert.All(Enumerable.Range(0, 100).Select(_ => topP.Next(Logits, [])), t => Assert.Contains(t, new[] { 1, 4 }));
        var minP = new Sampler(new GenerationOptions { Temperature = 1f, MinP = 0.6f, Seed = 1 });
        Assert.All(Enumerable.Range(0, 100).Select(_ => minP.Next(Logits, [])), t => Assert.Contains(t, new[] { 1, 4, 2 }));
    }

    [Fact]
    public void Repetition_penalty_demotes_seen_tokens()
    {
        var sampler = new Sampler(new GenerationOptions { RepetitionPenalty = 1.2f });
        Assert.Equal(4, sampler.Next(Logits, [1]));
    }

    [Fact]
    public void Invalid_options_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new GenerationOptions { TopP = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new GenerationOptions { MinP = 1.5f }));
    }

    [Fact]
    public void Sampling_frequencies_follow_the_softmax()
    {
        float[] logits = [0f, MathF.Log(2), MathF.Log(4)];
        var sampler = new Sampler(new GenerationOptions { Temperature = 1f, Seed = 11 });
        var counts = new int[3];
        for (int i = 0; i < 14000; i++) counts[sampler.Next(logits, [])]++;
        Assert.InRange(counts[0] / 14000.0, 1 / 7.0 - 0.02, 1 / 7.0 + 0.02);
        Assert.InRange(counts[2] / 14000.0, 4 / 7.0 - 0.02, 4 / 7.0 + 0.02);
    }

    [Fact]
    public void Top_k_and_top_p_pick_from_the_right_set_in_a_large_vocabulary()
    {
        var rng = new Random(2);
        // Spread so wide that part of the vocabulary falls below the sampler's 1e-12 pre-sort cut.
        float[] logits = Enumerable.Range(0, 8000).Select(_ => (float)(rng.NextDouble() * -150)).ToArray();
        var top5 = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).Take(5).ToHashSet();
        var k = new Sampler(new GenerationOptions { Temperature = 2f, TopK = 5, Seed = 4 });
        Assert.All(Enumerable.Range(0, 50).Select(_ => k.Next(logits, [])), t => Assert.Contains(t, top5));
        // A nucleus of 0.999 at a high temperature reaches far into the tail: every sampled token must
        // still be inside the true nucleus computed over the whole vocabulary.
        double max = logits.Max();
        var probs = logits.Select(l => Math.Exp((l - max) / 4)).ToArray();
        double total = probs.Sum(), cumulative = 0;
        var nucleus = new HashSet<int>();
        foreach (int i in Enumerable.Range(0, logits.Length).OrderByDescending(i => probs[i]))
        {
            nucleus.Add(i);
            cumulative += probs[i] / total;
            if (cumulative >= 0.999) break;
        }
        var p = new Sampler(new GenerationOptions { Temperature = 4f, TopP = 0.999f, Seed = 4 });
        Assert.All(Enumerable.Range(0, 40).Select(_ => p.Next(logits, [])), t => Assert.Contains(t, nucleus));
    }
}
