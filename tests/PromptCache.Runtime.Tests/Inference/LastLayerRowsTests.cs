using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Tests.Support;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>
/// Past the last layer's K/V store a forward runs only the rows whose logits are asked for. Checked against
/// <see cref="LogitsMode.All"/>, which runs every row to the end, and through the row groups of
/// position-causal attention, which the cut must keep seeing what they saw.
/// </summary>
public sealed class LastLayerRowsTests
{
    // One GEMM over one row against one over many: only the reduction batching differs (as in HfParityTests).
    private const float Tolerance = 1e-5f;

    private static readonly int[] SegmentIds = [5, 17, 33, 2, 90, 41, 8, 66, 12, 3, 71, 29, 44, 6, 18, 50];

    [Fact]
    public void The_last_row_cut_from_a_row_group_sees_what_it_saw_uncut()
    {
        using var model = LlamaModel.Load(Fixtures.Folder("llama"));
        using var segment = model.Prefill(SegmentIds, Enumerable.Range(0, SegmentIds.Length).ToArray());
        // Rows 0 and 1 see 6 and 7 segment tokens (two groups); rows 2-5 see all 16 (one group, cut to its last row).
        int[] ids = [7, 9, 11, 13, 15, 19], at = [6, 7, 20, 21, 22, 23];
        var all = model.Forward(ids, at, [segment], null, LogitsMode.All, ContextVisibility.BelowQueryPosition);
        var last = model.Forward(ids, at, [segment], null, LogitsMode.Last, ContextVisibility.BelowQueryPosition);
        AssertSameRow(all.Row(all.Rows - 1), last.Row(0));
    }

    [Fact]
    public void Chunks_before_the_last_skip_the_last_layer_and_give_the_same_logits()
    {
        var reference = Fixtures.LoadReference("qwen2");
        using var model = LlamaModel.Load(Fixtures.Folder("qwen2"));
        var all = model.Forward(reference.Plain.Ids, reference.Plain.Positions, [], null, LogitsMode.All);
        model.MaxChunkTokens = 7;
        var last = model.Forward(reference.Plain.Ids, reference.Plain.Positions, [], null, LogitsMode.Last);
        AssertSameRow(all.Row(all.Rows - 1), last.Row(0), tolerance: 1e-4f);
    }

    [Fact]
    public void A_segment_prefilled_without_logits_holds_the_keys_and_values_of_one_with_them()
    {
        var reference = Fixtures.LoadReference("qwen3");
        using var model = LlamaModel.Load(Fixtures.Folder("qwen3"));
        using var withLogits = model.CreateSegment(capacity: reference.Plain.Ids.Length);
        model.Forward(reference.Plain.Ids, reference.Plain.Positions, [], withLogits, LogitsMode.All);
        using var without = model.Prefill(reference.Plain.Ids, reference.Plain.Positions);
        for (int layer = 0; layer < model.Config.LayerCount; layer++)
        {
            var a = new byte[withLogits.LayerByteCount];
            var b = new byte[without.LayerByteCount];
            withLogits.CopyLayerTo(layer, a);
            without.CopyLayerTo(layer, b);
            Assert.True(a.AsSpan().SequenceEqual(b), $"layer {layer}'s K/V differ");
        }
    }

    [Fact]
    public void Cut_groups_give_every_kept_row_the_keys_it_saw()
    {
        using var model = LlamaModel.Load(Fixtures.Folder("llama"));
        using var first = model.Prefill(SegmentIds[..8], Enumerable.Range(0, 8).ToArray());
        using var second = model.Prefill(SegmentIds[8..], Enumerable.Range(20, 8).ToArray(), [first]);
        using var output = model.CreateSegment();
        int[] at = [3, 4, 5, 24, 25, 30, 31, 32, 33];
        var groups = AttentionGroup.Plan(at, [first, second], output, start: 0, ContextVisibility.BelowQueryPosition);
        for (int cut = 0; cut <= at.Length; cut++)
        {
            var kept = AttentionGroup.From(groups, cut);
            Assert.Equal(at.Length - cut, kept.Sum(g => g.Rows));
            for (int row = cut; row < at.Length; row++)
                Assert.Equal(VisibleTo(groups, row), VisibleTo(kept, row));
        }
    }

    private static int[] VisibleTo(AttentionGroup[] groups, int row)
    {
        var g = groups.Single(g => row >= g.FirstRow && row < g.FirstRow + g.Rows);
        return g.Blocks.Select(b => b.VisibleTo(row - g.FirstRow)).ToArray();
    }

    private static void AssertSameRow(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance = Tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = MathF.Max(worst, MathF.Abs(expected[i] - actual[i]));
        Assert.True(worst <= tolerance, $"last-row logits differ by {worst}");
    }
}
