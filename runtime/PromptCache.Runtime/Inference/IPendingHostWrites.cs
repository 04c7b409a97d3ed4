namespace PromptCache.Runtime.Inference;

/// <summary>
/// Writes into a <see cref="KvSegment"/>'s host memory that another component still has in flight:
/// a GPU backend copying freshly computed K/V back to the host asynchronously, so the thread that issues
/// kernels never waits for PCIe. The segment calls <see cref="WaitForHostWrites"/> before anything reads,
/// moves or frees its host bytes.
/// </summary>
public interface IPendingHostWrites
{
    /// <summary>
    /// Returns once every write queued so far has landed in host memory.
    /// </summary>
    /// <exception cref="InvalidOperationException">A queued write failed; the host bytes are not current.</exception>
    void WaitForHostWrites();
}
