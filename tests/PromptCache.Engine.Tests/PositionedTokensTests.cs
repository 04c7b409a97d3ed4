using PromptCache.Engine.Execution;

namespace PromptCache.Engine.Tests;

/// <summary>
/// <see cref="PositionedTokens"/> against a stable LINQ sort, with positions dense (as a request's are), spread far
/// wider than their count, and negative.
/// </summary>
public sealed class PositionedTokensTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(5000, 0)]
    [InlineData(1, -300)]
    public void Interleaved_runs_come_back_in_position_order_with_repeats_in_written_order(int spacing, int offset)
    {
        var rng = new Random(11);
        var tokens = new PositionedTokens(4);
        var written = new List<(int Position, int Id)>();
        for (int run = 0; run < 40; run++)
        {
            // Increasing runs that overlap each other, as module text, arguments inside it and the suffix do;
            // some positions come twice, which only the written order can break.
            int first = rng.Next(200), length = 1 + rng.Next(12);
            int[] ids = Enumerable.Range(0, length).Select(_ => rng.Next(1000)).ToArray();
            int[] positions = Enumerable.Range(0, length).Select(i => offset + (first + 2 * i) * spacing).ToArray();
            tokens.Add(ids, positions);
            written.AddRange(positions.Zip(ids));
        }

        var (sortedIds, sortedPositions) = tokens.InPositionOrder();
        var expected = written.OrderBy(t => t.Position).ToList(); // stable
        Assert.Equal(expected.Select(t => t.Position), sortedPositions);
        Assert.Equal(expected.Select(t => t.Id), sortedIds);
    }
}
