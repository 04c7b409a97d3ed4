using PromptCache.Cuda.Backend;

namespace PromptCache.Cuda.Tests;

/// <summary>The write-back staging ring's bookkeeping (no GPU needed).</summary>
public sealed class StagingRingTests
{
    [Fact]
    public void Ranges_are_handed_out_in_order_and_refused_while_the_ring_is_full()
    {
        var ring = new StagingRing(100);
        Assert.True(ring.TryReserve(40, out long a, out long spanA));
        Assert.True(ring.TryReserve(40, out long b, out long spanB));
        Assert.Equal((0, 40, 40, 40), (a, spanA, b, spanB));
        Assert.False(ring.TryReserve(30, out _, out _)); // only 20 left at the end, and the start is taken
        Assert.Equal(80, ring.InUse);
    }

    [Fact]
    public void A_range_that_would_wrap_starts_over_and_owns_the_skipped_end()
    {
        var ring = new StagingRing(100);
        Assert.True(ring.TryReserve(70, out _, out long first));
        ring.Release(first);
        // 30 bytes remain before the end: a 40-byte range skips them and starts at 0.
        Assert.True(ring.TryReserve(40, out long offset, out long span));
        Assert.Equal(0, offset);
        Assert.Equal(70, span);
        Assert.Equal(70, ring.InUse);
        Assert.True(ring.TryReserve(30, out long next, out _));
        Assert.Equal(40, next);
        ring.Release(span);
        Assert.Equal(30, ring.InUse);
    }

    [Fact]
    public void Released_space_is_reused_and_bad_calls_throw()
    {
        var ring = new StagingRing(64);
        for (int i = 0; i < 100; i++)
        {
            Assert.True(ring.TryReserve(24, out long offset, out long span));
            Assert.True(offset + 24 <= 64);
            ring.Release(span);
        }
        Assert.Equal(0, ring.InUse);
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryReserve(65, out _, out _));
        Assert.Throws<InvalidOperationException>(() => ring.Release(1));
    }
}
