using PromptCache.Cuda.Backend;

namespace PromptCache.Cuda.Tests;

/// <summary>Sizes tuned together: rounded up to a power of two (no GPU needed).</summary>
public sealed class TuningClassTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(45, 64)]
    [InlineData(64, 64)]
    [InlineData(65, 128)]
    public void A_size_is_tuned_with_the_next_power_of_two(int size, int expected) => Assert.Equal(expected, TuningClass.Of(size));
}
