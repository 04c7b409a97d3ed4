namespace PromptCache.Cuda.Backend;

/// <summary>
/// RoPE calls whose pass has not run: the rotation is left to the buffer's reader
/// (<see cref="CudaBackendOptions.RopeInReaders"/>).
/// </summary>
/// <remarks>
/// The K/V store and the wgmma attention kernels rotate rows as they read them, with the RoPE kernel's
/// arithmetic, so a prefill skips a pass over q and over k. Until a record is dropped the f32 memory
/// still holds the unrotated values. Any other reader must announce itself (<see cref="Reading"/>): the
/// RoPE pass is then queued before it, and every reader sees exactly what the seam promised. A write
/// over the whole record drops it unapplied; a partial write applies it first.
/// Not thread-safe: used under the backend's gate, in stream order.
/// </remarks>
internal sealed class DeferredRopes
{
    /// <summary>
    /// One deferred RoPE call: <see cref="Rows"/> rows of <see cref="Heads"/> × 2·<see cref="Half"/> floats at
    /// <see cref="X"/>, rotated by the device tables <see cref="Cos"/> and <see cref="Sin"/> ([Rows × Half], row 0
    /// for X's row 0), uploaded from the host table <see cref="Table"/> (one device buffer holds the latest table).
    /// </summary>
    public readonly record struct Pending(ulong X, int Rows, int Heads, int Half, bool Interleaved, ulong Cos, ulong Sin, object Table)
    {
        /// <summary>Floats of one row.</summary>
        public int RowFloats => Heads * 2 * Half;

        /// <summary>Floats of all rows.</summary>
        public long Count => (long)Rows * RowFloats;

        /// <summary>The cos and sin table rows from <paramref name="row"/> on.</summary>
        public (ulong Cos, ulong Sin) TablesFrom(int row) =>
            (Cos + (ulong)((long)row * Half * sizeof(float)), Sin + (ulong)((long)row * Half * sizeof(float)));
    }

    private readonly List<Pending> _pending = new(2);
    private readonly Action<Pending> _apply;

    /// <param name="apply">Queues the RoPE pass of a record.</param>
    public DeferredRopes(Action<Pending> apply) => _apply = apply;

    /// <summary>Records a RoPE call; the caller has announced the read and the write of its rows.</summary>
    public void Defer(Pending pending) => _pending.Add(pending);

    /// <summary>Whether any record touches [pointer, +count floats).</summary>
    public bool Touches(ulong pointer, long count)
    {
        foreach (var p in _pending)
            if (FloatRanges.Overlap(p.X, p.Count, pointer, count)) return true;
        return false;
    }

    /// <summary>
    /// The record whose rows include [x, +rows rows of heads × 2·half floats), starting at a row boundary,
    /// and the first of those rows; null when no single record covers them.
    /// </summary>
    public (Pending Record, int FirstRow)? Covering(ulong x, int rows, int heads, int half)
    {
        foreach (var p in _pending)
        {
            if (p.Heads != heads || p.Half != half || x < p.X) continue;
            ulong rowBytes = (ulong)p.RowFloats * sizeof(float);
            ulong offset = x - p.X;
            if (offset % rowBytes != 0) continue;
            long first = (long)(offset / rowBytes);
            if (first + rows <= p.Rows) return (p, (int)first);
        }
        return null;
    }

    /// <summary>Whether any record uploaded from another table than <paramref name="table"/> is pending.</summary>
    public bool AnyFrom(object table) => _pending.Exists(p => !ReferenceEquals(p.Table, table));

    /// <summary>[pointer, +count floats) is about to be read as rotated f32 values: their RoPE passes are queued first.</summary>
    public void Reading(ulong pointer, long count)
    {
        for (int i = _pending.Count - 1; i >= 0; i--)
        {
            var p = _pending[i];
            if (!FloatRanges.Overlap(p.X, p.Count, pointer, count)) continue;
            _pending.RemoveAt(i);
            _apply(p);
        }
    }

    /// <summary>[pointer, +count floats) is about to be overwritten.</summary>
    public void Written(ulong pointer, long count)
    {
        for (int i = _pending.Count - 1; i >= 0; i--)
        {
            var p = _pending[i];
            if (!FloatRanges.Overlap(p.X, p.Count, pointer, count)) continue;
            _pending.RemoveAt(i);
            bool whole = pointer <= p.X && pointer + (ulong)(count * sizeof(float)) >= p.X + (ulong)(p.Count * sizeof(float));
            if (!whole) _apply(p); // the rows the write leaves must still read rotated
        }
    }

    /// <summary>Queues every pending pass (before the device table they read is replaced).</summary>
    public void ApplyAll()
    {
        var all = _pending.ToArray();
        _pending.Clear();
        foreach (var p in all) _apply(p);
    }

    /// <summary>The memory [pointer, +bytes) is freed: records there are dropped.</summary>
    public void Forget(ulong pointer, long bytes) =>
        _pending.RemoveAll(p => FloatRanges.Overlap(p.X, p.Count, pointer, bytes / sizeof(float)));
}
