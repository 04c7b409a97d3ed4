namespace PromptCache.Cuda.Bench;

/// <summary>How far one set of logits is from a reference: relative L2 over all rows, and top-1 agreement per row.</summary>
internal readonly record struct LogitCompare(double RelativeL2, double Top1Agreement, int Rows, double MaxAbs, bool HasNaN, int NearTieMisses)
{
    /// <summary>
    /// The issue's bf16 tolerance: relative L2 ≤ 2e-2 and top-1 agreement ≥ 99 %. With fewer than
    /// 100 rows every row must agree, except near-ties (the reference's own logits for the two
    /// choices within 1 % of the row's range), which bf16 rounding may legitimately flip.
    /// </summary>
    public bool Passes(double maxRelL2 = 2e-2, double minTop1 = 0.99)
    {
        if (HasNaN || RelativeL2 > maxRelL2) return false;
        if (Rows >= 100) return Top1Agreement >= minTop1;
        int misses = (int)Math.Round((1 - Top1Agreement) * Rows);
        return misses == NearTieMisses;
    }

    public static LogitCompare Of(ReadOnlySpan<float> actual, ReadOnlySpan<float> reference, int vocab)
    {
        if (actual.Length != reference.Length) throw new ArgumentException($"{actual.Length} logits vs {reference.Length} in the reference.");
        double diff = 0, norm = 0, maxAbs = 0;
        bool nan = false;
        for (int i = 0; i < actual.Length; i++)
        {
            if (float.IsNaN(actual[i]) || float.IsInfinity(actual[i])) nan = true;
            double e = actual[i] - reference[i];
            diff += e * e;
            norm += (double)reference[i] * reference[i];
            maxAbs = Math.Max(maxAbs, Math.Abs(e));
        }
        int rows = actual.Length / vocab, agree = 0, nearTies = 0;
        for (int r = 0; r < rows; r++)
        {
            var refRow = reference.Slice(r * vocab, vocab);
            int ours = ArgMax(actual.Slice(r * vocab, vocab)), theirs = ArgMax(refRow);
            if (ours == theirs)
            {
                agree++;
                continue;
            }
            float min = float.MaxValue, max = float.MinValue;
            foreach (float x in refRow) { min = Math.Min(min, x); max = Math.Max(max, x); }
            if (refRow[theirs] - refRow[ours] <= 0.01 * (max - min)) nearTies++;
        }
        return new LogitCompare(Math.Sqrt(diff / Math.Max(norm, 1e-30)), rows == 0 ? 1 : (double)agree / rows, rows, maxAbs, nan, nearTies);
    }

    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    public override string ToString() => $"relL2 {RelativeL2:0.000e+00}  top1 {Top1Agreement * 100:0.0}% of {Rows}  maxAbs {MaxAbs:0.000e+00}{(NearTieMisses > 0 ? $" ({NearTieMisses} near-tie misses)" : "")}{(HasNaN ? "  NaN/Inf!" : "")}";
}
