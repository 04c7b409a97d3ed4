using System.Runtime.CompilerServices;
using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Models;

namespace PromptCache.Cuda.Bench;

/// <summary>
/// The Llama forward pass of <c>LlamaModel.ForwardChunk</c>, written against <see cref="IComputeBackend"/>
/// for weights that do not come from files (random models made in memory or on the device).
/// LlamaModel can only be built by loading files today; once it can be built from a
/// <see cref="ModelWeights"/> (notes/cuda-seam.md) this copy goes away.
/// </summary>
internal sealed unsafe class SeamForward
{
    private readonly IComputeBackend _backend;
    private readonly RopeRows _ropeRows;

    public SeamForward(ModelConfig config, ModelWeights weights, IComputeBackend backend)
    {
        Config = config;
        Weights = weights;
        _backend = backend;
        _ropeRows = new RopeRows(config.Rope.InverseFrequencies(config.HeadDim));
    }

    public ModelConfig Config { get; }

    public ModelWeights Weights { get; }

    /// <summary>For an A/B row: the last layer runs every row to its end, as before the cut to the logit rows.</summary>
    public bool FullLastLayer { get; set; }

    /// <summary>Called with an op category ("gemm", "attention", "norm", ...) before each backend call; for profiling.</summary>
    public Action<string>? OnOp { get; set; }

    /// <summary>
    /// Runs <paramref name="ids"/> in one chunk, appending K/V to <paramref name="output"/>; returns
    /// the logits of the last <paramref name="logitRows"/> tokens (device memory, caller frees with the
    /// backend) or null.
    /// </summary>
    public float* Run(ReadOnlySpan<int> ids, ReadOnlySpan<int> positions, IReadOnlyList<KvSegment> context, KvSegment output, int logitRows)
    {
        var c = Config;
        var B = _backend;
        int n = ids.Length, d = c.HiddenSize, H = c.HeadCount, KV = c.KvHeadCount, hd = c.HeadDim;
        int start = output.Count;
        EnsureCapacity(output, start + n);
        var blocks = new KvBlock[context.Count + 1];
        for (int i = 0; i < context.Count; i++) blocks[i] = new KvBlock(context[i], context[i].Count, Causal: false);
        blocks[^1] = new KvBlock(output, start, Causal: true);
        var rope = new RopeTable(positions, _ropeRows);

        float* x = B.Allocate((long)n * d), xb = B.Allocate((long)n * d);
        float* q = B.Allocate((long)n * c.QueryDim), k = B.Allocate((long)n * c.KvDim), v = B.Allocate((long)n * c.KvDim);
        float* att = B.Allocate((long)n * c.QueryDim), gate = B.Allocate((long)n * c.FfnSize), up = B.Allocate((long)n * c.FfnSize);
        try
        {
            Op("embed"); B.Embed(Weights.Embedding, ids, x);
            for (int l = 0; l < c.LayerCount; l++)
            {
                var L = Weights.Layers[l];
                Op("norm"); B.RmsNorm(x, xb, n, d, L.AttentionNorm, c.RmsNormEps);
                Op("gemm"); B.MatMul(xb, n, L.Query, q);
                B.MatMul(xb, n, L.Key, k);
                B.MatMul(xb, n, L.Value, v);
                Op("elementwise");
                if (L.QueryBias is { } bq) B.AddBias(q, n, bq);
                if (L.KeyBias is { } bk) B.AddBias(k, n, bk);
                if (L.ValueBias is { } bv) B.AddBias(v, n, bv);
                Op("norm");
                if (L.QueryNorm is { } qn) B.RmsNorm(q, q, n * H, hd, qn, c.RmsNormEps);
                if (L.KeyNorm is { } kn) B.RmsNorm(k, k, n * KV, hd, kn, c.RmsNormEps);
                Op("rope"); B.Rope(q, n, H, rope, c.RopeStyle);
                B.Rope(k, n, KV, rope, c.RopeStyle);
                Op("store_kv"); B.StoreKv(output, l, start, k, v, n);
                // As LlamaModel: the last layer runs on past its K/V store for the logit rows alone.
                int skip = l == c.LayerCount - 1 && !FullLastLayer ? n - logitRows : 0, rows = n - skip;
                if (rows == 0) break;
                if (skip > 0) blocks[^1] = blocks[^1] with { Visible = start + skip };
                float* xs = x + (long)skip * d;
                Op("attention"); B.Attention(q + (long)skip * c.QueryDim, rows, H, blocks, l, att + (long)skip * c.QueryDim);
                Op("gemm"); B.MatMulAdd(att + (long)skip * c.QueryDim, rows, L.Output, xs, xb);
                Op("norm"); B.RmsNorm(xs, xb, rows, d, L.FfnNorm, c.RmsNormEps);
                Op("gemm"); B.MatMul(xb, rows, L.Gate, gate);
                B.MatMul(xb, rows, L.Up, up);
                Op("elementwise"); B.SiluMul(gate, up, (long)rows * c.FfnSize);
                Op("gemm"); B.MatMulAdd(gate, rows, L.Down, xs, xb);
            }
            Commit(output, positions);
            if (logitRows == 0) return null;
            float* lastRows = x + (long)(n - logitRows) * d;
            Op("norm"); B.RmsNorm(lastRows, xb, logitRows, d, Weights.FinalNorm, c.RmsNormEps);
            float* head = B.Allocate((long)logitRows * c.VocabSize);
            Op("head"); B.MatMul(xb, logitRows, Weights.Output, head);
            Op("end");
            return head;
        }
        finally
        {
            B.Free(x); B.Free(xb); B.Free(q); B.Free(k); B.Free(v); B.Free(att); B.Free(gate); B.Free(up);
        }
    }

    /// <summary>Runs and copies the logits of the last <paramref name="logitRows"/> tokens to the host.</summary>
    public float[] RunToHost(ReadOnlySpan<int> ids, ReadOnlySpan<int> positions, IReadOnlyList<KvSegment> context, KvSegment output, int logitRows)
    {
        float* head = Run(ids, positions, context, output, logitRows);
        var result = new float[(long)logitRows * Config.VocabSize];
        try
        {
            _backend.CopyToHost(head, result);
        }
        finally
        {
            _backend.Free(head);
        }
        return result;
    }

    private void Op(string name) => OnOp?.Invoke(name);

    // KvSegment's growth and commit are internal to the runtime (LlamaModel uses them); see the seam notes.
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "EnsureCapacity")]
    private static extern void EnsureCapacity(KvSegment segment, int tokens);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Commit")]
    private static extern void Commit(KvSegment segment, ReadOnlySpan<int> positions);
}
