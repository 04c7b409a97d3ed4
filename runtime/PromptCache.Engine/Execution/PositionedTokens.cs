namespace PromptCache.Engine.Execution;

/// <summary>
/// (position, id) pairs in the order the planner writes them (the root's text, each module's text and then
/// its arguments, the suffix), returned in position order. A request does this for every cached token, so
/// runs are copied whole into int buffers and ordered with the runtime's int sort: no LINQ, no tuples.
/// </summary>
/// <remarks>
/// Written runs are increasing but may interleave: an argument sits inside its module's text, and root text
/// (a closing role tag) can follow the modules. A sequence written in position order skips the sort.
/// </remarks>
internal sealed class PositionedTokens(int capacity)
{
    private int[] _ids = new int[capacity];
    private int[] _positions = new int[capacity];
    private int _count;
    private bool _increasing = true;

    public int Count => _count;

    /// <summary>Adds <paramref name="ids"/>[i] at <paramref name="positions"/>[i].</summary>
    public void Add(ReadOnlySpan<int> ids, ReadOnlySpan<int> positions)
    {
        Reserve(ids.Length);
        ids.CopyTo(_ids.AsSpan(_count));
        positions[..ids.Length].CopyTo(_positions.AsSpan(_count));
        Appended(ids.Length);
    }

    /// <summary>Adds <paramref name="ids"/> at consecutive positions from <paramref name="first"/>.</summary>
    public void Add(ReadOnlySpan<int> ids, int first)
    {
        Reserve(ids.Length);
        ids.CopyTo(_ids.AsSpan(_count));
        for (int i = 0; i < ids.Length; i++) _positions[_count + i] = first + i;
        Appended(ids.Length);
    }

    /// <summary>
    /// Ids and positions sorted by position; equal positions (none in a valid plan) keep their written
    /// order. Call once: an in-order result is handed out in the collector's own buffers.
    /// </summary>
    public (int[] Ids, int[] Positions) InPositionOrder()
    {
        if (_increasing) return (Exact(_ids), Exact(_positions));

        // Sorting int keys with int items stays cheap even in a process's first requests (the runtime ships
        // that sort precompiled; a sort of longs or with a comparer starts as unoptimised code), but it is
        // not stable: a position written twice (never in a valid plan) gets its ids back in written order.
        int[] ids = _ids[.._count], positions = _positions[.._count];
        Array.Sort(positions, ids);
        int start = 0;
        for (int i = 1; i <= positions.Length; i++)
        {
            if (i < positions.Length && positions[i] == positions[start]) continue;
            if (i - start > 1) WrittenOrder(positions[start], ids.AsSpan(start, i - start));
            start = i;
        }
        return (ids, positions);
    }

    // The ids written at position, in the order they were added.
    private void WrittenOrder(int position, Span<int> target)
    {
        int k = 0;
        for (int i = 0; i < _count; i++)
        {
            if (_positions[i] == position) target[k++] = _ids[i];
        }
    }

    private int[] Exact(int[] buffer) => buffer.Length == _count ? buffer : buffer[.._count];

    private void Reserve(int length)
    {
        if (_count + length <= _ids.Length) return;
        int size = Math.Max(_count + length, 2 * _ids.Length);
        Array.Resize(ref _ids, size);
        Array.Resize(ref _positions, size);
    }

    // Tracks whether everything written so far is strictly increasing.
    private void Appended(int length)
    {
        int start = _count;
        _count += length;
        for (int i = Math.Max(start, 1); _increasing && i < _count; i++) _increasing = _positions[i] > _positions[i - 1];
    }
}
