using PromptCache.Runtime.Inference;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>The mmap path for activation and K/V blocks: sizes, alignment, ownership.</summary>
public sealed unsafe class LargeBuffersTests
{
    [Fact]
    public void Small_requests_are_left_to_malloc()
    {
        Assert.True(LargeBuffers.TryAllocate((nuint)(LargeBuffers.Threshold - 1)) == null);
        int local = 0;
        Assert.False(LargeBuffers.TryFree(&local)); // not one of its blocks: the caller frees it
    }

    [Fact]
    public void Large_blocks_are_page_aligned_writable_and_freed_exactly_once()
    {
        if (!OperatingSystem.IsLinux()) return; // elsewhere every request goes to NativeMemory
        foreach (long bytes in new[] { 3L << 20, (1L << 20) + 5, 70L << 20 }) // cached size, odd size, over the cache limit
        {
            byte* p = (byte*)LargeBuffers.TryAllocate((nuint)bytes);
            Assert.True(p != null);
            Assert.Equal(0L, (long)p % Environment.SystemPageSize);
            new Span<byte>(p, (int)Math.Min(bytes, int.MaxValue)).Fill(0xA5);
            Assert.Equal(0xA5, p[bytes - 1]);
            Assert.True(LargeBuffers.TryFree(p));
            Assert.False(LargeBuffers.TryFree(p));
        }
    }

    [Fact]
    public void Blocks_that_can_hold_huge_pages_start_on_a_huge_page_boundary()
    {
        if (!OperatingSystem.IsLinux()) return;
        // Fresh or reused, a block of 4 MiB or more comes from a 2 MiB-aligned mapping (cached blocks under 4 MiB are
        // too small to serve it), so its whole 2 MiB blocks can be transparent huge pages.
        foreach (long bytes in new[] { HugePages.Threshold, (5L << 20) + 3 })
        {
            byte* p = (byte*)LargeBuffers.TryAllocate((nuint)bytes);
            Assert.Equal(0L, (long)p % HugePages.Bytes);
            new Span<byte>(p, (int)bytes).Fill(0x5A);
            Assert.Equal(0x5A, p[bytes - 1]);
            Assert.True(LargeBuffers.TryFree(p));
        }
    }

    [Fact]
    public void A_reused_block_is_cut_to_the_new_request()
    {
        if (!OperatingSystem.IsLinux()) return;
        // Whatever the cache holds (other tests run in parallel), each block must be fully usable.
        byte* big = (byte*)LargeBuffers.TryAllocate(8u << 20);
        new Span<byte>(big, 8 << 20).Fill(1);
        Assert.True(LargeBuffers.TryFree(big));
        byte* small = (byte*)LargeBuffers.TryAllocate(2u << 20);
        new Span<byte>(small, 2 << 20).Fill(2);
        byte* other = (byte*)LargeBuffers.TryAllocate(6u << 20); // must not overlap the cut block
        new Span<byte>(other, 6 << 20).Fill(3);
        Assert.Equal(2, small[(2 << 20) - 1]);
        Assert.True(LargeBuffers.TryFree(small));
        Assert.True(LargeBuffers.TryFree(other));
    }
}
