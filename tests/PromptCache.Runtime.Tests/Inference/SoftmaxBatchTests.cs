using System.Runtime.Intrinsics;
using PromptCache.Runtime.Backends.Cpu;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>
/// The four-row online-softmax step must do what four single-row steps do: the same probabilities,
/// running maxima and sums, and rescale factors (within a few ulps: its factor comes from the
/// vectorised exp, the single-row step's from MathF.Exp), including rows that see nothing in the
/// chunk and rows that have seen nothing before it.
/// </summary>
public sealed unsafe class SoftmaxBatchTests
{
    [Theory]
    [InlineData(64, 64, 64, 64)]
    [InlineData(1, 0, 37, 64)]  // a row without keys here keeps its state and becomes zeros
    [InlineData(0, 0, 0, 5)]
    [InlineData(16, 17, 48, 63)]
    public void Four_rows_at_once_equal_four_single_rows(int v0, int v1, int v2, int v3)
    {
        if (!Vector512.IsHardwareAccelerated) return; // both kernels are the AVX-512 path
        var rng = new Random(v0 * 1000 + v1 * 100 + v2 * 10 + v3);
        int[] visible = [v0, v1, v2, v3];
        var batch = new float[4 * 64];
        for (int i = 0; i < batch.Length; i++) batch[i] = (float)(rng.NextDouble() * 20 - 10);
        var single = (float[])batch.Clone();
        // Row 0 has seen nothing yet (max −∞); the others carry state from earlier chunks.
        float[] maxBatch = [float.NegativeInfinity, 3f, -2f, 9.5f], sumBatch = [0f, 1.5f, 4f, 0.25f];
        float[] maxSingle = (float[])maxBatch.Clone(), sumSingle = (float[])sumBatch.Clone();
        var factors = new float[4];
        fixed (float* b = batch, mb = maxBatch, sb = sumBatch, f = factors)
        fixed (int* v = visible)
            AttentionKernels.Softmax64x4(b, v, mb, sb, f);

        fixed (float* s = single)
        {
            for (int r = 0; r < 4; r++)
            {
                float expected = 1f;
                if (visible[r] == 0) new Span<float>(s + r * 64, 64).Clear();
                else expected = AttentionKernels.Softmax64(s + r * 64, visible[r], ref maxSingle[r], ref sumSingle[r]);
                Assert.Equal(expected, factors[r], 6);
                Assert.Equal(maxSingle[r], maxBatch[r]);
                Assert.Equal(sumSingle[r], sumBatch[r], 4);
            }
        }

        for (int i = 0; i < batch.Length; i++) Assert.Equal(single[i], batch[i]);
    }
}
