using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Models;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>The kept cos/sin rows give every forward call exactly the table it would have computed.</summary>
public sealed class RopeRowsTests
{
    private static readonly float[] Inverse = new RopeSettings(500000).InverseFrequencies(128);

    [Fact]
    public void Kept_rows_equal_computed_rows_bit_for_bit_at_any_position()
    {
        var rows = new RopeRows(Inverse);
        // Growing calls, a repeat, discontinuous and descending positions, and positions past the kept range.
        int[][] calls =
        [
            [0, 1, 2, 3],
            Enumerable.Range(0, 3000).ToArray(),
            [2999, 5, 70000, 4096, RopeRows.MaxCachedPositions - 1, RopeRows.MaxCachedPositions, 131071],
            [0, 1, 2, 3],
            [-3, -2, -1, 0], // not from the model (it refuses negative positions), but computed like the rest
        ];
        foreach (int[] positions in calls)
        {
            var kept = new RopeTable(positions, rows);
            var computed = new RopeTable(positions, Inverse);
            Assert.Equal(computed.HalfDim, kept.HalfDim);
            Assert.Equal(computed.Cos.ToArray(), kept.Cos.ToArray());
            Assert.Equal(computed.Sin.ToArray(), kept.Sin.ToArray());
        }
    }

    [Fact]
    public void Concurrent_calls_that_grow_the_rows_all_get_their_own_positions()
    {
        var rows = new RopeRows(Inverse);
        Parallel.For(0, 16, i =>
        {
            // Ascending runs read the kept memory; descending ones are copied out of it.
            var run = Enumerable.Range(i * 700, 900);
            int[] positions = (i % 2 == 0 ? run : run.Reverse()).ToArray();
            var kept = new RopeTable(positions, rows);
            var computed = new RopeTable(positions, Inverse);
            Assert.Equal(computed.Cos.ToArray(), kept.Cos.ToArray());
            Assert.Equal(computed.Sin.ToArray(), kept.Sin.ToArray());
        });
    }
}
