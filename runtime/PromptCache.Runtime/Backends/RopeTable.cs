namespace PromptCache.Runtime.Backends;

/// <summary>
/// cos/sin of every (token, frequency) pair of one forward call, computed once and shared by all
/// layers: <c>angle = position · inv_freq[i]</c>, rows of head_dim/2.
/// </summary>
public sealed class RopeTable
{
    /// <summary>Builds the table for <paramref name="positions"/>, computing every row.</summary>
    public RopeTable(ReadOnlySpan<int> positions, float[] inverseFrequencies)
    {
        HalfDim = inverseFrequencies.Length;
        Tokens = positions.Length;
        var cos = new float[Tokens * HalfDim];
        var sin = new float[Tokens * HalfDim];
        for (int t = 0; t < Tokens; t++)
            RopeRows.Compute(positions[t], inverseFrequencies, cos.AsSpan(t * HalfDim, HalfDim), sin.AsSpan(t * HalfDim, HalfDim));
        (Cos, Sin) = (cos, sin);
    }

    /// <summary>
    /// Builds the table for <paramref name="positions"/> from the rows kept in <paramref name="rows"/> (the same
    /// values): consecutive positions, as in a prefill, share the kept memory; others are copied.
    /// </summary>
    public RopeTable(ReadOnlySpan<int> positions, RopeRows rows)
    {
        HalfDim = rows.HalfDim;
        Tokens = positions.Length;
        (Cos, Sin) = rows.Rows(positions);
    }

    /// <summary>head_dim / 2.</summary>
    public int HalfDim { get; }

    /// <summary>Rows (tokens).</summary>
    public int Tokens { get; }

    /// <summary>cos, [tokens × head_dim/2].</summary>
    public ReadOnlyMemory<float> Cos { get; }

    /// <summary>sin, [tokens × head_dim/2].</summary>
    public ReadOnlyMemory<float> Sin { get; }
}
