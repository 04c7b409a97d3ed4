using PromptCache.Runtime.Inference;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>The real trained llama2.c TinyStories model (GGUF, interleaved RoPE layout) must continue its prompt exactly like the reference.</summary>
public sealed class StoriesGreedyTests
{
    // From ../shared/models/stories260K/greedy-reference.txt:
    // "Once upon a time" -> ", there was a little girl named Lily. She loved to play"
    private static readonly int[] Prompt = [1, 403, 407, 261, 378];
    private static readonly int[] Expected = [432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337];

    internal static string ModelPath => Path.Combine(SharedFolder.Path!, "models", "stories260K", "stories260K.gguf");

    [SharedFact]
    public void Greedy_continuation_matches_the_reference_ids()
    {
        using var model = LlamaModel.Load(ModelPath);
        Assert.Equal(5, model.Config.LayerCount);
        Assert.Equal(4, model.Config.KvHeadCount);
        using var session = model.CreateSegment();
        var generated = new List<int>();
        var result = model.Forward(Prompt, [0, 1, 2, 3, 4], [], session, LogitsMode.Last);
        for (int step = 0; step < Expected.Length; step++)
        {
            int next = ArgMax(result.Row(0));
            generated.Add(next);
            int position = Prompt.Length + step;
            result = model.Forward([next], [position], [], session, LogitsMode.Last);
        }
        Assert.Equal(Expected, generated);
    }

    internal static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }
}
