using PromptCache.Runtime.Caching.Keys;
using PromptCache.Runtime.Caching.Memory;

namespace PromptCache.Runtime.Caching.Store;

/// <summary>
/// A disk write queued or running for one key. Writes of one key run one after another (each waits
/// for the previous), so the newest version is always the one published last.
/// </summary>
internal sealed class PendingWrite(KvCacheKey key, ResidentEntry source, bool isSpill)
{
    private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public KvCacheKey Key { get; } = key;

    /// <summary>The bytes to write; the write holds one reference on it until it finishes.</summary>
    public ResidentEntry Source { get; } = source;

    /// <summary>True for a write-back of an entry evicted from memory (listed in the spilling map meanwhile).</summary>
    public bool IsSpill { get; } = isSpill;

    /// <summary>Completes with true when the file was published, false otherwise; never faults.</summary>
    public Task<bool> Completion => _done.Task;

    public void Finish(bool published) => _done.TrySetResult(published);
}
