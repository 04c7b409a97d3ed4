using PromptCache.Runtime.Inference;

namespace PromptCache.Engine.Execution;

/// <summary>
/// The K/V segments of finished requests, kept for the next ones. A request's segment holds its whole prompt
/// (a 4096-token Llama-2-7B prompt in f16: 2.1 GB); a new one per request means fresh host pages, faulted in
/// while the K/V is written (on the GPU by the copy-back, which then bounds the request), and on the GPU a new
/// device copy. A reused segment keeps both resident.
/// </summary>
/// <remarks>Thread-safe. At most <c>keep</c> idle segments; the rest are freed when returned.</remarks>
internal sealed class SessionSegments(LlamaModel model, int keep) : IDisposable
{
    private readonly object _gate = new();
    private readonly List<KvSegment> _idle = [];
    private bool _disposed;

    /// <summary>
    /// An empty segment of <paramref name="dataType"/> with room for <paramref name="capacity"/> tokens. Only the
    /// request's GPU forwards read it, so a GPU backend keeps its rows on the device (<see cref="KvSegment.HostWriteBack"/>
    /// off): copying them back over PCIe bounded a long uncached request.
    /// </summary>
    public KvSegment Rent(KvDataType dataType, int capacity)
    {
        var segment = Reused(dataType, capacity) ?? model.CreateSegment(dataType, capacity);
        segment.HostWriteBack = false;
        return segment;
    }

    private KvSegment? Reused(KvDataType dataType, int capacity)
    {
        lock (_gate)
        {
            // The smallest idle segment that fits, so that a short request does not take a long one's.
            int best = -1;
            for (int i = 0; i < _idle.Count; i++)
            {
                var s = _idle[i];
                if (s.DataType == dataType && s.Capacity >= capacity && (best < 0 || s.Capacity < _idle[best].Capacity)) best = i;
            }
            if (best < 0) return null;
            var reused = _idle[best];
            _idle.RemoveAt(best);
            return reused;
        }
    }

    /// <summary>Takes back a segment from <see cref="Rent"/>: emptied and kept, or freed when enough are kept.</summary>
    public void Return(KvSegment segment)
    {
        // Copies still on their way to its host memory would land in the next request's rows.
        segment.WaitForHostWrites();
        segment.Truncate(0);
        lock (_gate)
        {
            if (!_disposed && _idle.Count < keep)
            {
                _idle.Add(segment);
                return;
            }
        }
        segment.Dispose();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _idle.ForEach(s => s.Dispose());
            _idle.Clear();
        }
    }
}
