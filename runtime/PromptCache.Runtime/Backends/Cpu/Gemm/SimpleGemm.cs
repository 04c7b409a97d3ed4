using System.Numerics.Tensors;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// Straightforward row-at-a-time GEMM: decode a few W rows, dot them with every A row. Correct for
/// every shape; the blocked kernel replaces it on the hot path.
/// </summary>
internal static unsafe class SimpleGemm
{
    private const int RowsPerTask = 8;

    public static void Run(float* a, int m, int k, void* w, WeightType wType, int n, float* c, GemmPath path)
    {
        long rowBytes = WeightLayout.RowBytes(wType, k);
        int tasks = (n + RowsPerTask - 1) / RowsPerTask;
        nint aa = (nint)a, ww = (nint)w, cc = (nint)c;
        Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, t =>
        {
            float[] buffer = new float[k];
            int j0 = t * RowsPerTask, j1 = Math.Min(n, j0 + RowsPerTask);
            for (int j = j0; j < j1; j++)
            {
                fixed (float* row = buffer)
                {
                    WeightDecoder.Decode((byte*)ww + j * rowBytes, wType, 0, k, row, path);
                }

                for (int i = 0; i < m; i++)
                {
                    ((float*)cc)[(long)i * n + j] = TensorPrimitives.Dot(new ReadOnlySpan<float>((float*)aa + (long)i * k, k), buffer);
                }
            }
        });
    }
}
