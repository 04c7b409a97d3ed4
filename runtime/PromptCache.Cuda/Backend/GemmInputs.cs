namespace PromptCache.Cuda.Backend;

/// <summary>
/// The bf16 copies of f32 activations that the GEMMs read (cuBLAS multiplies bf16 by bf16), so that each
/// activation is converted at most once, usually by the kernel that made it.
/// </summary>
/// <remarks>
/// An op whose result is most likely read by a GEMM alone (a norm's output, SwiGLU's, attention's) writes
/// <em>only</em> the bf16 copy, and its f32 memory is left stale: at a 4096-token prefill that saves one
/// f32 write of every such activation. Such an entry is widened back into its f32 memory the moment
/// anything else reads it (<see cref="Reading"/>), so every reader still sees the op's result, rounded
/// to bf16, which is exactly what a GEMM would have seen. A write over part of a stale entry trims it
/// (the model's buffers alias: q, k, v and the attention output share memory with the FFN's gate).
/// Three entries cover the model's pattern (norm output, attention output, SwiGLU output live at once);
/// a fourth claim widens the oldest stale one first.
/// Not thread-safe: used under the backend's gate, in stream order.
/// </remarks>
internal sealed class GemmInputs
{
    /// <summary>Entries kept at once.</summary>
    public const int Slots = 3;

    private struct Entry
    {
        public ulong Source; // f32 address
        public long Count;   // floats; 0: slot free
        public ulong Copy;   // bf16 address of element 0
        public bool Only;    // the f32 memory is stale: Copy holds the values
        public long Stamp;
    }

    private readonly Entry[] _entries = new Entry[Slots];
    private readonly Func<int, long, ulong> _buffer;
    private readonly Action<ulong, ulong, long> _widen;
    private long _clock;

    /// <param name="buffer">(slot, bytes): that slot's bf16 buffer, grown to at least that size.</param>
    /// <param name="widen">(bf16 source, f32 destination, count): queues the conversion back to f32.</param>
    public GemmInputs(Func<int, long, ulong> buffer, Action<ulong, ulong, long> widen)
    {
        _buffer = buffer;
        _widen = widen;
    }

    /// <summary>Bf16 values of exactly [source, +count floats), or 0 when none are kept.</summary>
    public ulong Find(ulong source, long count)
    {
        foreach (ref var e in _entries.AsSpan())
            if (e.Count == count && e.Source == source) return e.Copy;
        return 0;
    }

    /// <summary>
    /// A bf16 buffer for the values about to be written to [source, +count floats): a copy of them
    /// (<paramref name="only"/> false: the f32 memory is written too), or their only copy.
    /// </summary>
    public ulong Claim(ulong source, long count, bool only)
    {
        Written(source, count);
        int slot = 0;
        for (int i = 0; i < Slots; i++)
        {
            if (_entries[i].Count == 0) { slot = i; break; }
            if (_entries[i].Stamp < _entries[slot].Stamp) slot = i;
        }
        ref var e = ref _entries[slot];
        if (e.Count > 0 && e.Only) Widen(ref e);
        ulong copy = _buffer(slot, count * sizeof(ushort));
        e = new Entry { Source = source, Count = count, Copy = copy, Only = only, Stamp = ++_clock };
        return copy;
    }

    /// <summary>[pointer, +count floats) is about to be read as f32: stale values there are written back first.</summary>
    public void Reading(ulong pointer, long count)
    {
        foreach (ref var e in _entries.AsSpan())
            if (e.Count > 0 && e.Only && Overlaps(e, pointer, count)) Widen(ref e);
    }

    /// <summary>[pointer, +count floats) is about to be overwritten: copies of it no longer hold.</summary>
    public void Written(ulong pointer, long count)
    {
        ulong end = pointer + (ulong)(count * sizeof(float));
        foreach (ref var e in _entries.AsSpan())
        {
            if (e.Count == 0 || !Overlaps(e, pointer, count)) continue;
            ulong eEnd = e.Source + (ulong)(e.Count * sizeof(float));
            if (e.Only && pointer <= e.Source && end < eEnd)
            {
                // The write covers the front: the rest stays stale, with its copy.
                long cut = (long)(end - e.Source) / sizeof(float);
                e.Source = end;
                e.Copy += (ulong)(cut * sizeof(ushort));
                e.Count -= cut;
                continue;
            }
            if (e.Only && pointer > e.Source && end >= eEnd)
            {
                e.Count = (long)(pointer - e.Source) / sizeof(float); // the write covers the back
                continue;
            }
            if (e.Only && (pointer > e.Source || end < eEnd)) Widen(ref e); // a hole in the middle
            e.Count = 0;
        }
    }

    /// <summary>The f32 memory [pointer, +bytes) is freed: whatever it held is gone, copies included.</summary>
    public void Forget(ulong pointer, long bytes)
    {
        foreach (ref var e in _entries.AsSpan())
            if (e.Count > 0 && Overlaps(e, pointer, bytes / sizeof(float))) e.Count = 0;
    }

    private static bool Overlaps(in Entry e, ulong pointer, long count) => FloatRanges.Overlap(e.Source, e.Count, pointer, count);

    private void Widen(ref Entry e)
    {
        _widen(e.Copy, e.Source, e.Count);
        e.Only = false;
    }
}
