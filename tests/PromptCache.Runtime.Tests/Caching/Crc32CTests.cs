using System.Text;
using PromptCache.Runtime.Caching.Persistence;

namespace PromptCache.Runtime.Tests.Caching;

public sealed class Crc32CTests
{
    [Fact]
    public void KnownVector_MatchesTheCastagnoliCheckValue()
    {
        // The standard check value of CRC-32C over "123456789".
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0xE3069283u, Crc32C.ComputeScalar(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void InterleavedStripes_MatchTheTablePath_AtEveryBoundary()
    {
        // Three 4 KiB lanes per stripe: cover below, at and around one and two stripes, odd tails,
        // and an unaligned start.
        var random = new Random(11);
        byte[] data = new byte[(2 * 3 * 4096) + 50];
        random.NextBytes(data);
        foreach (int length in new[] { (3 * 4096) - 1, 3 * 4096, (3 * 4096) + 1, (3 * 4096) + 13, 6 * 4096, (6 * 4096) + 49 })
        {
            var slice = data.AsSpan(1, length);
            Assert.Equal(Crc32C.ComputeScalar(slice), Crc32C.Compute(slice));
            Assert.Equal(Crc32C.ComputeScalar(slice), Crc32C.Append(Crc32C.Compute(slice[..100]), slice[100..]));
        }
    }

    [Fact]
    public void HardwareAndTablePaths_Agree_AndAppendIsIncremental()
    {
        var random = new Random(7);
        for (int length = 0; length < 300; length += 7)
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            uint whole = Crc32C.Compute(data);
            Assert.Equal(Crc32C.ComputeScalar(data), whole);
            int split = length / 3;
            Assert.Equal(whole, Crc32C.Append(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split)));
        }
    }
}
