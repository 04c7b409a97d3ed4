using PromptCache.Engine;

namespace Quickstart;

/// <summary>Prints warming progress at once (Progress&lt;T&gt; would post it to the thread pool, out of order).</summary>
internal sealed class ConsoleProgress : IProgress<WarmProgress>
{
    public void Report(WarmProgress p) =>
        Console.WriteLine(p.LoadedFromStore
            ? $"  {p.SchemaName}: {p.Segments} module segments loaded from the cache store in {p.Elapsed.TotalMilliseconds:F0} ms"
            : $"  {p.SchemaName}: {p.Segments} module segments precomputed ({p.ComputedTokens} tokens) in {p.Elapsed.TotalMilliseconds:F0} ms");
}
