namespace PromptCache.Runtime.Backends;

/// <summary>
/// cos/sin of every (token, frequency) pair of one forward call, computed once and shared by all
/// layers: <c>angle = position · inv_freq[i]</c>, rows of head_dim/2.
/// </summary>
public sealed class RopeTable
{
    /// <summary>Builds the table for <paramref name="positions"/>.</summary>
    public RopeTable(ReadOnlySpan<int> positions, float[] inverseFrequencies)
    {
        HalfDim = inverseFrequencies.Length;
        Tokens = positions.Length;
        Cos = new float[Tokens * HalfDim];
        Sin = new float[Tokens * HalfDim];
        for (int t = 0; t < Tokens; t++)
        {
            for (int i = 0; i < HalfDim; i++)
            {
                // transformers multiplies position and inv_freq in float32, then takes cos/sin.
                float angle = positions[t] * inverseFrequencies[i];
                Cos[t * HalfDim + i] = MathF.Cos(angle);
                Sin[t * HalfDim + i] = MathF.Sin(angle);
            }
        }
    }

    /// <summary>head_dim / 2.</summary>
    public int HalfDim { get; }

    /// <summary>Rows (tokens).</summary>
    public int Tokens { get; }

    /// <summary>cos, [tokens × head_dim/2].</summary>
    public float[] Cos { get; }

    /// <summary>sin, [tokens × head_dim/2].</summary>
    public float[] Sin { get; }
}
