using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Tests.Support;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>Logits against HF transformers 5.17 (f32, eager) for tiny random Llama, Qwen2 and Qwen3 models.</summary>
public sealed class HfParityTests
{
    private const float Tolerance = 1e-3f;

    public static TheoryData<string, bool> Cases() => new()
    {
        { "llama", false }, { "llama", true },
        { "qwen2", false }, { "qwen2", true },
        { "qwen3", false }, { "qwen3", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Plain_forward_matches_transformers(string name, bool tf4Config)
    {
        var reference = Fixtures.LoadReference(name);
        using var model = LlamaModel.Load(tf4Config ? Fixtures.Tf4Copy(name) : Fixtures.Folder(name));
        var result = model.Forward(reference.Plain.Ids, reference.Plain.Positions, [], null, LogitsMode.All);
        LogitAssert.Close(reference.PlainLogits, result, Tolerance, $"{name} plain");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Modular_segments_at_discontinuous_positions_match_transformers(string name, bool tf4Config)
    {
        var reference = Fixtures.LoadReference(name);
        using var model = LlamaModel.Load(tf4Config ? Fixtures.Tf4Copy(name) : Fixtures.Folder(name));
        var segments = reference.Segments.Select(s => model.Prefill(s.Ids, s.Positions)).ToList();
        try
        {
            var result = model.Forward(reference.Query.Ids, reference.Query.Positions, segments, null, LogitsMode.All);
            LogitAssert.Close(reference.ModularLogits, result, Tolerance, $"{name} modular");
        }
        finally
        {
            segments.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void Last_token_logits_equal_the_last_row_of_all()
    {
        var reference = Fixtures.LoadReference("qwen2");
        using var model = LlamaModel.Load(Fixtures.Folder("qwen2"));
        var all = model.Forward(reference.Plain.Ids, reference.Plain.Positions, [], null, LogitsMode.All);
        var last = model.Forward(reference.Plain.Ids, reference.Plain.Positions, [], null, LogitsMode.Last);
        Assert.Equal(1, last.Rows);
        // Not bit-identical: the GEMM may pick a different kernel for one row than for forty.
        float worst = 0;
        for (int i = 0; i < last.VocabSize; i++) worst = MathF.Max(worst, MathF.Abs(all.Row(all.Rows - 1)[i] - last.Row(0)[i]));
        Assert.True(worst <= 1e-5f, $"last-row logits differ by {worst}");
    }
}
