using System.Runtime.InteropServices;
using PromptCache.Cuda.Backend;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Models;

namespace PromptCache.Cuda.Bench;

/// <summary>Random-weight Llama models: small ones in host memory (for CPU vs CUDA), large ones made on the device.</summary>
internal static unsafe class RandomModels
{
    /// <summary>A Llama config; the RoPE is plain (theta 10000, rotate-half).</summary>
    public static ModelConfig Config(int d, int layers, int heads, int kvHeads, int ffn, int vocab, int headDim = 0) =>
        new("llama", d, layers, heads, kvHeads, headDim == 0 ? d / heads : headDim, ffn, vocab, 1e-5f,
            new RopeSettings(10000), RopeStyle.Halves, AttentionBias: false, QkNorm: false, TiedEmbeddings: false, ContextLength: 1 << 16);

    /// <summary>Llama-2-7B: 32 layers, d 4096, 32 heads (MHA), FFN 11008, vocab 32000.</summary>
    public static ModelConfig Llama2_7B(int layers = 32) => Config(4096, layers, 32, 32, 11008, 32000);

    /// <summary>Llama-3-8B: GQA 32/8, FFN 14336, vocab 128256, theta 500000.</summary>
    public static ModelConfig Llama3_8B(int layers = 32) => Config(4096, layers, 32, 8, 14336, 128256) with { Rope = new RopeSettings(500000) };

    /// <summary>Weights with uniform values of variance 1/cols (activations stay O(1) through the layers), f32 in host memory.</summary>
    public static HostModel OnHost(ModelConfig c, int seed)
    {
        var model = new HostModel();
        var rng = new Random(seed);
        WeightTensor Matrix(string name, int rows, int cols, float scale)
        {
            float* p = (float*)NativeMemory.AlignedAlloc((nuint)((long)rows * cols * sizeof(float)), 64);
            model.Allocations.Add((nint)p);
            for (long i = 0; i < (long)rows * cols; i++) p[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
            return new WeightTensor(name, p, WeightType.F32, rows, cols);
        }
        model.Weights = Build(c, (name, rows, cols, scale) => Matrix(name, rows, cols, scale), rng);
        return model;
    }

    /// <summary>The same shapes made on the GPU by a kernel from <paramref name="seed"/> (bf16; never shipped, never zero).</summary>
    public static ModelWeights OnDevice(ModelConfig c, CudaBackend backend, ulong seed)
    {
        ulong next = seed;
        ulong SeedAt(int ahead) => (next + (ulong)ahead) * 0x9E3779B97F4A7C15ul + 1;
        // q/k/v and gate/up are made back to back in one allocation, as the fused group GEMM wants them
        // (seeds as if made one call each, so the values do not change); Build asks for them in order.
        var pending = new Queue<WeightTensor>();
        WeightTensor Matrix(string name, int rows, int cols, float scale)
        {
            if (pending.Count > 0)
            {
                next++;
                var member = pending.Dequeue();
                return member.Rows == rows && member.Cols == cols && member.Name == name
                    ? member
                    : throw new InvalidOperationException($"Expected group member {member.Name}, was asked for {name}.");
            }
            string prefix = name[..(name.LastIndexOf('.') + 1)];
            (string, int, ulong)[]? group = null;
            if (name.EndsWith(".q", StringComparison.Ordinal))
                group = [(name, rows, SeedAt(0)), (prefix + "k", c.KvDim, SeedAt(1)), (prefix + "v", c.KvDim, SeedAt(2))];
            else if (name.EndsWith(".gate", StringComparison.Ordinal))
                group = [(name, rows, SeedAt(0)), (prefix + "up", c.FfnSize, SeedAt(1))];
            ulong seed0 = SeedAt(0);
            next++;
            if (group is null) return backend.CreateRandomWeight(name, rows, cols, seed0, scale);
            var made = backend.CreateRandomWeightGroup(group, cols, scale);
            for (int i = 1; i < made.Length; i++) pending.Enqueue(made[i]);
            return made[0];
        }
        return Build(c, Matrix, new Random((int)seed));
    }

    private static ModelWeights Build(ModelConfig c, Func<string, int, int, float, WeightTensor> matrix, Random rng)
    {
        float Scale(int cols) => MathF.Sqrt(3f / cols);
        float[] Norm(int n)
        {
            var w = new float[n];
            for (int i = 0; i < n; i++) w[i] = 1f + (float)(rng.NextDouble() - 0.5) * 0.2f;
            return w;
        }
        var layers = new LayerWeights[c.LayerCount];
        for (int l = 0; l < c.LayerCount; l++)
        {
            string p = $"layers.{l}.";
            layers[l] = new LayerWeights
            {
                AttentionNorm = Norm(c.HiddenSize),
                Query = matrix(p + "q", c.QueryDim, c.HiddenSize, Scale(c.HiddenSize)),
                Key = matrix(p + "k", c.KvDim, c.HiddenSize, Scale(c.HiddenSize)),
                Value = matrix(p + "v", c.KvDim, c.HiddenSize, Scale(c.HiddenSize)),
                Output = matrix(p + "o", c.HiddenSize, c.QueryDim, Scale(c.QueryDim)),
                FfnNorm = Norm(c.HiddenSize),
                Gate = matrix(p + "gate", c.FfnSize, c.HiddenSize, Scale(c.HiddenSize)),
                Up = matrix(p + "up", c.FfnSize, c.HiddenSize, Scale(c.HiddenSize)),
                Down = matrix(p + "down", c.HiddenSize, c.FfnSize, Scale(c.FfnSize)),
            };
        }
        return new ModelWeights
        {
            Embedding = matrix("embed", c.VocabSize, c.HiddenSize, 1f),
            Layers = layers,
            FinalNorm = Norm(c.HiddenSize),
            Output = matrix("head", c.VocabSize, c.HiddenSize, Scale(c.HiddenSize)),
        };
    }
}

/// <summary>Host weights and the native blocks behind them.</summary>
internal sealed unsafe class HostModel : IDisposable
{
    public List<nint> Allocations { get; } = new();

    public ModelWeights Weights { get; set; } = null!;

    public void Dispose()
    {
        foreach (nint p in Allocations) NativeMemory.AlignedFree((void*)p);
        Allocations.Clear();
    }
}
