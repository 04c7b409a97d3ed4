using PromptCache.Engine;

namespace PromptCache.Hosting.Warmup;

/// <summary>
/// Reports warm-up progress inline, in order. <see cref="Progress{T}"/> would post each report to the
/// thread pool, so a report could arrive after warming had already ended.
/// </summary>
internal sealed class InlineProgress(Action<WarmProgress> report) : IProgress<WarmProgress>
{
    public void Report(WarmProgress value) => report(value);
}
