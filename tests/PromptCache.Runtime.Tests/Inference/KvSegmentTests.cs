using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Tests.Support;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>Composition of K/V segments: prefix-exact reuse, chunking, growth, storage types.</summary>
public sealed class KvSegmentTests
{
    private static (LlamaModel Model, Reference Reference) Load(string name = "llama") =>
        (LlamaModel.Load(Fixtures.Folder(name)), Fixtures.LoadReference(name));

    [Theory]
    [InlineData("llama", 1)]
    [InlineData("llama", 25)]
    [InlineData("qwen3", 17)]
    public void A_prefix_segment_then_the_rest_equals_a_full_prefill(string name, int split)
    {
        var (model, reference) = Load(name);
        using var _ = model;
        var ids = reference.Plain.Ids;
        var pos = reference.Plain.Positions;
        var full = model.Forward(ids, pos, [], null, LogitsMode.All);
        using var prefix = model.Prefill(ids[..split], pos[..split]);
        Assert.Equal(split, prefix.Count);
        Assert.Equal(pos[..split], prefix.Positions);
        var rest = model.Forward(ids[split..], pos[split..], [prefix], null, LogitsMode.All);
        float worst = 0;
        for (int r = 0; r < rest.Rows; r++)
            for (int i = 0; i < rest.VocabSize; i++)
                worst = MathF.Max(worst, MathF.Abs(full.Row(split + r)[i] - rest.Row(r)[i]));
        Assert.True(worst <= 1e-4f, $"prefix-exact reuse differs by {worst}");
    }

    [Fact]
    public void Chunked_prefill_and_token_by_token_decode_equal_one_pass()
    {
        var (model, reference) = Load("qwen2");
        using var _ = model;
        var ids = reference.Plain.Ids;
        var pos = reference.Plain.Positions;
        var whole = model.Forward(ids, pos, [], null, LogitsMode.All);

        model.MaxChunkTokens = 7;
        var chunked = model.Forward(ids, pos, [], null, LogitsMode.All);
        Assert.True(MaxDiff(whole.Logits, chunked.Logits) <= 1e-4f);

        using var session = model.CreateSegment(capacity: 1); // forces several reallocations
        for (int i = 0; i < ids.Length; i++)
        {
            var step = model.Forward(ids.AsSpan(i, 1), pos.AsSpan(i, 1), [], session, LogitsMode.Last);
            Assert.True(MaxDiff(whole.Row(i).ToArray(), step.Logits) <= 1e-4f, $"token {i}");
        }
        Assert.Equal(ids.Length, session.Count);
        Assert.True(session.Capacity >= ids.Length);
    }

    [Theory]
    [InlineData(KvDataType.F16, 2e-2f)]
    [InlineData(KvDataType.BF16, 1e-1f)]
    public void Half_precision_kv_stays_close_to_f32(KvDataType type, float tolerance)
    {
        var (model, reference) = Load("llama");
        using var _ = model;
        var segs = reference.Segments;
        using var a32 = model.Prefill(segs[0].Ids, segs[0].Positions);
        using var b32 = model.Prefill(segs[1].Ids, segs[1].Positions);
        using var a16 = model.Prefill(segs[0].Ids, segs[0].Positions, dataType: type);
        using var b16 = model.Prefill(segs[1].Ids, segs[1].Positions, dataType: type);
        Assert.Equal(a32.BytesPerToken / 2, a16.BytesPerToken);
        var exact = model.Forward(reference.Query.Ids, reference.Query.Positions, [a32, b32], null, LogitsMode.All);
        var approx = model.Forward(reference.Query.Ids, reference.Query.Positions, [a16, b16], null, LogitsMode.All);
        float diff = MaxDiff(exact.Logits, approx.Logits);
        Assert.True(diff <= tolerance, $"{type} K/V moved logits by {diff}");
        Assert.True(diff > 0, "half-precision storage should not be bit-identical to f32");
    }

    [Fact]
    public void Bytes_per_token_follow_the_documented_formula()
    {
        var (model, _) = Load("qwen3");
        using var __ = model;
        using var segment = model.CreateSegment(KvDataType.F16);
        var c = model.Config;
        Assert.Equal(2L * c.LayerCount * c.KvHeadCount * c.HeadDim * 2, segment.BytesPerToken);
    }

    [Fact]
    public void Clone_and_truncate_keep_a_usable_segment()
    {
        var (model, reference) = Load("llama");
        using var _ = model;
        var ids = reference.Plain.Ids;
        var pos = reference.Plain.Positions;
        using var original = model.Prefill(ids[..20], pos[..20]);
        using var copy = original.Clone();
        copy.Truncate(10);
        Assert.Equal(20, original.Count);
        var viaCopy = model.Forward(ids[10..12], pos[10..12], [copy], null, LogitsMode.All);
        var full = model.Forward(ids[..12], pos[..12], [], null, LogitsMode.All);
        Assert.True(MaxDiff(full.Row(11).ToArray(), viaCopy.Row(1).ToArray()) <= 1e-4f);
    }

    [Fact]
    public void Bad_inputs_are_rejected_with_clear_messages()
    {
        var (model, _) = Load("llama");
        using var __ = model;
        var e1 = Assert.Throws<ArgumentException>(() => model.Forward([1, 2], [0], [], null, LogitsMode.All));
        Assert.Contains("2 token ids but 1 position ids", e1.Message);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward([100000], [0], [], null, LogitsMode.All));
        Assert.Contains("outside the vocabulary", e2.Message);
        using var foreign = new KvSegment(3, 2, 8, KvDataType.F32, 4);
        Assert.Throws<ArgumentException>(() => model.Forward([1], [0], [foreign], null, LogitsMode.All));
    }

    private static float MaxDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        float worst = 0;
        for (int i = 0; i < a.Length; i++) worst = MathF.Max(worst, MathF.Abs(a[i] - b[i]));
        return worst;
    }
}
