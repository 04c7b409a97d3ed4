using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Tests.Support;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>
/// <see cref="ContextVisibility.BelowQueryPosition"/>: a new token sees only the context tokens at lower
/// positions. Checked against the same token attending to a segment that holds only those tokens.
/// </summary>
public sealed class ContextVisibilityTests
{
    // Same backend and kernels on both sides; only the reduction order of the GEMM (rows batched
    // differently) separates them, far below the 1e-3 HF tolerance.
    private const float Tolerance = 1e-4f;

    private static readonly int[] SegmentIds = [5, 17, 33, 2, 90, 41, 8, 66, 12, 3, 71, 29];

    [Fact]
    public void Rows_in_a_slot_see_only_the_tokens_before_them()
    {
        using var model = LlamaModel.Load(Fixtures.Folder("llama"));
        // A module with a two-position slot at 14..15 (slot tokens are not part of the cached segment).
        int[] positions = [10, 11, 12, 13, 16, 17, 18, 19, 20, 21, 22, 23];
        using var segment = model.Prefill(SegmentIds, positions);

        // Two argument rows in the slot see the 4 tokens before it; two suffix rows see all 12.
        int[] queryIds = [7, 9, 11, 13];
        int[] queryPositions = [14, 15, 30, 31];
        var masked = model.Forward(queryIds, queryPositions, [segment], null, LogitsMode.All, ContextVisibility.BelowQueryPosition);

        // The same by hand: the argument against a 4-token prefix, then the suffix against everything,
        // with the argument's K/V carried in the output segment (seen in full, as in the masked call).
        using var prefix = model.Prefill(SegmentIds.AsSpan(0, 4), positions.AsSpan(0, 4));
        using var session = model.CreateSegment();
        var argument = model.Forward(queryIds.AsSpan(0, 2), queryPositions.AsSpan(0, 2), [prefix], session, LogitsMode.All);
        var suffix = model.Forward(queryIds.AsSpan(2), queryPositions.AsSpan(2), [segment], session, LogitsMode.All);

        for (int row = 0; row < queryIds.Length; row++)
        {
            var expected = row < 2 ? argument.Row(row) : suffix.Row(row - 2);
            float worst = 0;
            for (int i = 0; i < expected.Length; i++) worst = MathF.Max(worst, MathF.Abs(expected[i] - masked.Row(row)[i]));
            Assert.True(worst <= Tolerance, $"row {row} (position {queryPositions[row]}): max abs diff {worst}");
        }
    }

    [Fact]
    public void A_row_sees_a_strict_prefix_of_the_segment()
    {
        using var model = LlamaModel.Load(Fixtures.Folder("llama"));
        using var segment = model.Prefill(SegmentIds, Enumerable.Range(10, SegmentIds.Length).ToArray());
        var masked = model.Forward([7], [15], [segment], null, LogitsMode.Last, ContextVisibility.BelowQueryPosition);
        using var prefix = model.Prefill(SegmentIds.AsSpan(0, 5), [10, 11, 12, 13, 14]);
        var expected = model.Forward([7], [15], [prefix], null, LogitsMode.Last);
        float worst = 0;
        for (int i = 0; i < expected.VocabSize; i++) worst = MathF.Max(worst, MathF.Abs(expected.Row(0)[i] - masked.Row(0)[i]));
        Assert.True(worst <= Tolerance, $"max abs diff {worst}");
        var unmasked = model.Forward([7], [15], [segment], null, LogitsMode.Last);
        Assert.NotEqual(unmasked.Logits, masked.Logits);
    }

    [Fact]
    public void Suffix_rows_see_the_same_as_with_all_visible()
    {
        using var model = LlamaModel.Load(Fixtures.Folder("llama"));
        using var segment = model.Prefill(SegmentIds, Enumerable.Range(0, SegmentIds.Length).ToArray());
        int[] ids = [7, 9, 11], at = [40, 41, 42];
        var all = model.Forward(ids, at, [segment], null, LogitsMode.All);
        var below = model.Forward(ids, at, [segment], null, LogitsMode.All, ContextVisibility.BelowQueryPosition);
        Assert.Equal(all.Logits, below.Logits);
    }

    [Fact]
    public void Decreasing_positions_in_a_context_segment_are_refused()
    {
        using var model = LlamaModel.Load(Fixtures.Folder("llama"));
        using var segment = model.Prefill([1, 2, 3], [9, 4, 6]);
        var error = Assert.Throws<ArgumentException>(() =>
            model.Forward([7], [5], [segment], null, LogitsMode.Last, ContextVisibility.BelowQueryPosition));
        Assert.Contains("increasing positions", error.Message);
    }
}
