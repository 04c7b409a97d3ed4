using PromptCache.Cuda.Backend;

namespace PromptCache.Cuda.Tests;

/// <summary>Which device K/V copies the device tier drops (no GPU needed: the policy only sees sizes and use stamps).</summary>
public sealed class DeviceKvBudgetTests
{
    [Fact]
    public void Least_recently_used_copies_go_first_until_the_total_fits()
    {
        var budget = new DeviceKvBudget(250);
        for (int i = 0; i < 5; i++) budget.EndCall();
        // used in calls 3, 1, 4, 0; total 400 against a budget of 250
        var held = new[] { ("a", 100L, 3L), ("b", 100L, 1L), ("c", 100L, 4L), ("d", 100L, 0L) };
        Assert.Equal(["d", "b"], budget.Victims(held, budget.Bytes));
        Assert.Equal(2, budget.Evictions);
        Assert.Equal(200, budget.EvictedBytes);
    }

    [Fact]
    public void Copies_of_the_forward_in_flight_stay_even_over_the_budget()
    {
        var budget = new DeviceKvBudget(100);
        budget.EndCall();
        long now = budget.Now;
        var held = new[] { ("module", 300L, now), ("output", 50L, now), ("old", 80L, now - 1) };
        Assert.Equal(["old"], budget.Victims(held, budget.Bytes));
    }

    [Fact]
    public void A_zero_limit_drops_every_idle_copy_and_a_negative_budget_is_refused()
    {
        var budget = new DeviceKvBudget(0);
        budget.EndCall();
        var held = new[] { (1, 10L, 0L), (2, 10L, 1L), (3, 10L, 0L) };
        Assert.Equal([1, 3], budget.Victims(held, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceKvBudget(-1));
    }
}
