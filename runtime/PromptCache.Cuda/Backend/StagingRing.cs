namespace PromptCache.Cuda.Backend;

/// <summary>
/// First-in first-out space in a ring of <see cref="Size"/> bytes: contiguous ranges are handed out in
/// order and given back oldest first. A range never wraps; when it would, the bytes up to the end are
/// skipped and count as part of that range until it is released. Not thread-safe: the owner locks.
/// </summary>
internal sealed class StagingRing
{
    private long _head, _tail; // bytes ever reserved / released; the ring position is head % Size

    public StagingRing(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        Size = size;
    }

    /// <summary>Capacity in bytes.</summary>
    public long Size { get; }

    /// <summary>Bytes reserved and not yet released, skipped ends included.</summary>
    public long InUse => _head - _tail;

    /// <summary>
    /// Reserves <paramref name="bytes"/> contiguous bytes at <paramref name="offset"/>. <paramref name="span"/>
    /// is what <see cref="Release"/> must later give back (the range plus any end skipped to reach it).
    /// Returns false, reserving nothing, while too little of the ring is free.
    /// </summary>
    public bool TryReserve(long bytes, out long offset, out long span)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, Size);
        long position = _head % Size;
        long skip = position + bytes > Size ? Size - position : 0;
        span = skip + bytes;
        offset = skip > 0 ? 0 : position;
        if (InUse + span > Size) return false;
        _head += span;
        return true;
    }

    /// <summary>Gives back the oldest reservation (its <c>span</c> from <see cref="TryReserve"/>).</summary>
    public void Release(long span)
    {
        if (span <= 0 || span > InUse) throw new InvalidOperationException($"Releasing {span} bytes of a ring with {InUse} in use.");
        _tail += span;
    }
}
