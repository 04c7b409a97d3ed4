namespace PromptCache.Runtime.Tests.Gemm;

using PromptCache.Runtime.Backends.Cpu;

/// <summary>The GEMM's worker pool: every task exactly once, concurrent callers, failures surface.</summary>
public sealed class GemmWorkersTests
{
    [Fact]
    public void Every_task_runs_exactly_once_over_many_calls()
    {
        for (int call = 0; call < 300; call++)
        {
            int tasks = 1 + call % 37;
            var hits = new int[tasks];
            GemmWorkers.For(tasks, i => Interlocked.Increment(ref hits[i]));
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public async Task Concurrent_callers_each_complete_their_own_tasks()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(c => Task.Run(() =>
        {
            long sum = 0;
            for (int call = 0; call < 200; call++)
            {
                GemmWorkers.For(16, i => Interlocked.Add(ref sum, i + 1));
            }

            return sum;
        })));

        Assert.All(results, s => Assert.Equal(200L * (16 * 17 / 2), s));
    }

    [Fact]
    public void A_failing_task_is_reported_and_the_pool_keeps_working()
    {
        var ex = Assert.Throws<AggregateException>(() =>
            GemmWorkers.For(8, i =>
            {
                if (i == 5)
                {
                    throw new InvalidOperationException("task 5");
                }
            }));
        Assert.Contains(ex.InnerExceptions, e => e.Message == "task 5");

        int count = 0;
        GemmWorkers.For(8, _ => Interlocked.Increment(ref count));
        Assert.Equal(8, count);
    }
}
