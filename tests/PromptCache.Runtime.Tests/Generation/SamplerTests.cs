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
}
