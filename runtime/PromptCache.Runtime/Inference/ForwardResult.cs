namespace PromptCache.Runtime.Inference;

/// <summary>The logits of a forward call: <see cref="Rows"/> rows of <see cref="VocabSize"/> floats.</summary>
public sealed class ForwardResult
{
    internal ForwardResult(float[] logits, int rows, int vocabSize)
    {
        Logits = logits;
        Rows = rows;
        VocabSize = vocabSize;
    }

    /// <summary>Row-major [rows × vocab] logits (empty with <see cref="LogitsMode.None"/>).</summary>
    public float[] Logits { get; }

    /// <summary>Number of rows: 0, 1 (last token) or one per new token.</summary>
    public int Rows { get; }

    /// <summary>Columns per row.</summary>
    public int VocabSize { get; }

    /// <summary>One row of logits.</summary>
    public ReadOnlySpan<float> Row(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        return new ReadOnlySpan<float>(Logits, row * VocabSize, VocabSize);
    }
}
