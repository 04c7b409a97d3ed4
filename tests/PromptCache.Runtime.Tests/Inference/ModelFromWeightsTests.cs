using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Models;
using PromptCache.Runtime.Tests.Support;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>
/// <see cref="LlamaModel.FromWeights"/> runs the same forward over weights that are already in memory (what the GPU
/// benchmarks build on the device), and the benchmarks' forward to backend memory gives the logits a caller reads.
/// </summary>
public sealed class ModelFromWeightsTests
{
    [Fact]
    public void A_model_over_loaded_weights_gives_the_loaded_models_logits_to_the_bit()
    {
        var reference = Fixtures.LoadReference("qwen3");
        using var loaded = LlamaModel.Load(Fixtures.Folder("qwen3"));
        using var built = LlamaModel.FromWeights(loaded.Config, loaded.Weights);
        Assert.Equal(string.Empty, built.Path);
        var expected = loaded.Forward(reference.Plain.Ids, reference.Plain.Positions, [], null, LogitsMode.All);
        var actual = built.Forward(reference.Plain.Ids, reference.Plain.Positions, [], null, LogitsMode.All);
        Assert.Equal(expected.Logits, actual.Logits);
    }

    [Fact]
    public unsafe void The_forward_to_backend_memory_leaves_the_logits_a_forward_copies_out()
    {
        var reference = Fixtures.LoadReference("llama");
        using var model = LlamaModel.Load(Fixtures.Folder("llama"));
        int[] ids = reference.Plain.Ids, positions = reference.Plain.Positions;
        var expected = model.Forward(ids, positions, [], null, LogitsMode.Last).Row(0).ToArray();
        using var segment = model.CreateSegment();
        float* head = model.ForwardToBackend(ids, positions, [], segment, 1);
        var actual = new float[model.Config.VocabSize];
        try
        {
            model.Backend.CopyToHost(head, actual);
        }
        finally
        {
            model.Backend.Free(head);
        }
        Assert.Equal(expected, actual);
        Assert.Equal(ids.Length, segment.Count);
        using var none = model.CreateSegment();
        Assert.True(model.ForwardToBackend(ids, positions, [], none, 0) is null);
    }

    [Fact]
    public void Weights_of_another_depth_are_refused_naming_both_counts()
    {
        using var loaded = LlamaModel.Load(Fixtures.Folder("llama"));
        var config = loaded.Config with { LayerCount = loaded.Config.LayerCount + 1 };
        var e = Assert.Throws<ArgumentException>(() => LlamaModel.FromWeights(config, loaded.Weights));
        Assert.Contains($"{loaded.Weights.Layers.Length} layers", e.Message);
        Assert.Contains($"{config.LayerCount}", e.Message);
    }
}
