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
