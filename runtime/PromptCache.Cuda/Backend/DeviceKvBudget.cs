namespace PromptCache.Cuda.Backend;

/// <summary>
/// Which device K/V copies to drop so the device tier keeps to its byte budget: least recently used
/// first, never one the forward in flight uses. A dropped copy is only the device tier's: the segment
/// keeps its host bytes (written back, or saved before the drop) and is loaded again when next attended
/// to, layer by layer, as any host-tier segment.
/// </summary>
/// <remarks>
/// "In flight" is counted in calls: each host read of logits (the end of a forward) starts a new call,
/// and a copy touched since the last one belongs to the current forward. Not thread-safe: the backend locks.
/// </remarks>
internal sealed class DeviceKvBudget
{
    private long _call;

    /// <summary>Budget in bytes; 0 = none (copies go only when an allocation runs out of device memory).</summary>
    public long Bytes { get; }

    public DeviceKvBudget(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Bytes = bytes;
    }

    /// <summary>Copies dropped so far, and their bytes.</summary>
    public long Evictions { get; private set; }

    /// <inheritdoc cref="Evictions"/>
    public long EvictedBytes { get; private set; }

    /// <summary>The current forward ended (its logits were read): what it touched may go from now on.</summary>
    public void EndCall() => _call++;

    /// <summary>Marks <paramref name="mirror"/> as used by the current forward.</summary>
    public void Touch(DeviceKvSegment mirror) => mirror.LastUse = _call;

    /// <summary>The current call's stamp (what <see cref="Touch"/> records).</summary>
    public long Now => _call;

    /// <summary>
    /// The copies to drop, oldest use first, so that at most <paramref name="limit"/> bytes remain
    /// (every idle one when <paramref name="limit"/> is 0). Copies the current forward touched stay,
    /// even when that leaves the total above the limit.
    /// </summary>
    public List<T> Victims<T>(IEnumerable<(T Key, long Bytes, long LastUse)> held, long limit)
    {
        long total = 0;
        var idle = new List<(T Key, long Bytes, long LastUse)>();
        foreach (var item in held)
        {
            total += item.Bytes;
            if (item.LastUse < _call) idle.Add(item);
        }
        var victims = new List<T>();
        idle.Sort((a, b) => a.LastUse.CompareTo(b.LastUse));
        foreach (var (key, bytes, _) in idle)
        {
            if (limit > 0 && total <= limit) break;
            victims.Add(key);
            total -= bytes;
            Evictions++;
            EvictedBytes += bytes;
        }
        return victims;
    }
}
