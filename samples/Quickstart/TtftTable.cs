using PromptCache.Engine;

namespace Quickstart;

/// <summary>The cached vs uncached TTFT table.</summary>
internal sealed class TtftTable
{
    private readonly List<(string Name, PromptRunStats Cached, PromptRunStats Uncached)> _rows = [];

    public void Add(string name, PromptRunStats cached, PromptRunStats uncached) => _rows.Add((name, cached, uncached));

    public void Print()
    {
        Console.WriteLine("| call                 | prompt tokens | computed (cached) | TTFT cached | TTFT uncached | speed-up |");
        Console.WriteLine("|----------------------|--------------:|------------------:|------------:|--------------:|---------:|");
        foreach (var (name, cached, uncached) in _rows)
        {
            double c = cached.TimeToFirstToken.TotalMilliseconds, u = uncached.TimeToFirstToken.TotalMilliseconds;
            Console.WriteLine($"| {name,-20} | {uncached.PrefillTokens,13} | {cached.PrefillTokens,17} | {c,8:F1} ms | {u,10:F1} ms | {u / c,7:F1}x |");
        }
        Console.WriteLine("(TTFT includes validation, planning, the forward pass of the new tokens and sampling; one run each.)");
    }
}
