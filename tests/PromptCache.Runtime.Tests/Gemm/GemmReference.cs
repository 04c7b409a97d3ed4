namespace PromptCache.Runtime.Tests.Gemm;

/// <summary>
/// Double-precision reference for C = A·Wᵀ and the error bound a correct f32 kernel must meet.
/// </summary>
internal static class GemmReference
{
    /// <summary>
    /// Checks every element of <paramref name="c"/>. The bound is the classic one for a float dot
    /// product of k terms accumulated in any order: |ĉ − c| ≤ γ(k+1)·Σ|aᵢwᵢ|, γ(j) ≈ j·u with
    /// u = 2⁻²⁴ (one extra rounding for the product of the FMA-free paths). The weights are exact in
    /// f32 after decoding (bf16/f16/q8 scale·int are all representable), so this is all of the error.
    /// A missing or duplicated term moves the result by about Σ|aᵢwᵢ|/k, which the small-k shapes
    /// keep far above this bound.
    /// </summary>
    public static void AssertClose(float[] a, RandomWeights w, float[] c, int m, int k, int n, string label)
    {
        const double u = 1.0 / (1 << 24);
        double gamma = (k + 2) * u / (1 - (k + 2) * u);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double t = (double)a[(long)i * k + p] * w.Values[(long)j * k + p];
                    sum += t;
                    abs += Math.Abs(t);
                }

                double got = c[(long)i * n + j];
                double bound = gamma * abs + 1e-30;
                if (!(Math.Abs(got - sum) <= bound))
                {
                    Assert.Fail($"{label}: C[{i},{j}] = {got:R}, reference {sum:R}, |diff| {Math.Abs(got - sum):E3} > bound {bound:E3}");
                }
            }
        }
    }
}
