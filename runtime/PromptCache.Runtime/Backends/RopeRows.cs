namespace PromptCache.Runtime.Backends;

/// <summary>
/// The cos/sin rows of one model's rotary frequencies, kept by position: each position's row is computed
/// once, and a forward call reads the rows of its positions instead of taking 2 · tokens · head_dim/2
/// cosines and sines. Those cost an 8192-token prefill about 5 ms of host time (20 ms before the JIT's
/// optimised tier) before its first layer could start, with the GPU idle meanwhile; copying the kept
/// rows into new arrays still cost ~2 ms (page faults of 4 MB), so a prefill's run of positions is
/// handed out as the kept memory itself.
/// </summary>
/// <remarks>
/// Thread-safe: the table only grows, into new arrays, published whole. Positions from
/// <see cref="MaxCachedPositions"/> on are computed per call and not kept (the table would hold
/// 32 MB at head_dim 128 by then).
/// </remarks>
public sealed class RopeRows
{
    /// <summary>Positions below this are kept once computed.</summary>
    public const int MaxCachedPositions = 1 << 16;

    private readonly float[] _inverseFrequencies;
    private readonly Lock _growth = new();
    private Table _table = new([], [], 0);

    private sealed record Table(float[] Cos, float[] Sin, int Positions);

    /// <summary>Rows for <paramref name="inverseFrequencies"/> (head_dim/2 of them).</summary>
    public RopeRows(float[] inverseFrequencies) => _inverseFrequencies = inverseFrequencies;

    /// <summary>head_dim / 2: floats per row.</summary>
    public int HalfDim => _inverseFrequencies.Length;

    /// <summary>
    /// The cos and sin rows of <paramref name="positions"/>, one after another: the kept memory itself when
    /// the positions are one consecutive run below <see cref="MaxCachedPositions"/> (read-only, as shared),
    /// otherwise new arrays.
    /// </summary>
    public (ReadOnlyMemory<float> Cos, ReadOnlyMemory<float> Sin) Rows(ReadOnlySpan<int> positions)
    {
        int half = HalfDim, highest = -1;
        bool consecutive = true;
        for (int t = 0; t < positions.Length; t++)
        {
            highest = Math.Max(highest, positions[t]);
            consecutive &= t == 0 || positions[t] == positions[t - 1] + 1;
        }
        var table = Grown(Math.Min(highest + 1, MaxCachedPositions));
        if (consecutive && positions.Length > 0 && positions[0] >= 0 && highest < table.Positions)
            return (table.Cos.AsMemory(positions[0] * half, positions.Length * half), table.Sin.AsMemory(positions[0] * half, positions.Length * half));

        var cos = new float[positions.Length * half];
        var sin = new float[positions.Length * half];
        for (int t = 0; t < positions.Length; t++)
        {
            int p = positions[t];
            if ((uint)p < (uint)table.Positions) // a negative position (the model refuses them) is computed, not looked up
            {
                table.Cos.AsSpan(p * half, half).CopyTo(cos.AsSpan(t * half, half));
                table.Sin.AsSpan(p * half, half).CopyTo(sin.AsSpan(t * half, half));
            }
            else
            {
                Compute(p, _inverseFrequencies, cos.AsSpan(t * half, half), sin.AsSpan(t * half, half));
            }
        }
        return (cos, sin);
    }

    /// <summary>One position's row: transformers multiplies position and inv_freq in float32, then takes cos/sin.</summary>
    public static void Compute(int position, ReadOnlySpan<float> inverseFrequencies, Span<float> cos, Span<float> sin)
    {
        for (int i = 0; i < inverseFrequencies.Length; i++)
        {
            float angle = position * inverseFrequencies[i];
            cos[i] = MathF.Cos(angle);
            sin[i] = MathF.Sin(angle);
        }
    }

    // The table covering at least `positions` positions: at least doubled when it grows, so a server's
    // rising positions cost a few growths; the new rows are computed in parallel (same values as one thread).
    private Table Grown(int positions)
    {
        var table = Volatile.Read(ref _table);
        if (positions <= table.Positions) return table;
        lock (_growth)
        {
            table = _table;
            if (positions <= table.Positions) return table;
            const int Block = 256;
            int count = Math.Min(MaxCachedPositions, (Math.Max(positions, 2 * table.Positions) + Block - 1) / Block * Block);
            int half = HalfDim, first = table.Positions;
            var cos = new float[count * half];
            var sin = new float[count * half];
            table.Cos.CopyTo(cos, 0);
            table.Sin.CopyTo(sin, 0);
            Parallel.For(first / Block, (count + Block - 1) / Block, block =>
            {
                for (int p = Math.Max(first, block * Block); p < Math.Min(count, (block + 1) * Block); p++)
                    Compute(p, _inverseFrequencies, cos.AsSpan(p * half, half), sin.AsSpan(p * half, half));
            });
            var grown = new Table(cos, sin, count);
            Volatile.Write(ref _table, grown);
            return grown;
        }
    }
}
