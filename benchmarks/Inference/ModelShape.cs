namespace PromptCache.Benchmarks.Inference;

/// <summary>A Llama-architecture shape to benchmark, and the FLOPs its forward costs.</summary>
internal sealed record ModelShape(string Name, int Dim, int Layers, int Heads, int KvHeads, int Ffn, int Vocab, string DType)
{
    public int HeadDim => Dim / Heads;
    public int KvDim => HeadDim * KvHeads;

    /// <summary>Parameters of the matrices every token multiplies (all linear layers of all blocks).</summary>
    public long BlockMatrixParams => (long)Layers * ((long)Dim * Dim * 2 + 2L * Dim * KvDim + 3L * Dim * Ffn);

    /// <summary>Bytes one decode step reads from the weights: every block matrix and the output head, once.</summary>
    public long DecodeWeightBytes => (BlockMatrixParams + (long)Vocab * Dim) * (DType == "f32" ? 4 : 2);

    public long TotalParams => BlockMatrixParams + 2L * Vocab * Dim + (2L * Layers + 1) * Dim;

    /// <summary>
    /// FLOPs of computing <paramref name="tokens"/> new tokens after <paramref name="past"/> cached ones,
    /// with the output head for the last token only: 2 per multiply-add in the linear layers, plus
    /// QKᵀ and PV (2·2·head_dim per visible key per head).
    /// </summary>
    public double Flops(int tokens, int past)
    {
        double linear = 2.0 * BlockMatrixParams * tokens + 2.0 * Vocab * Dim;
        double visibleKeys = (double)tokens * past + tokens * (tokens + 1) / 2.0;
        double attention = 4.0 * HeadDim * Heads * visibleKeys * Layers;
        return linear + attention;
    }

    public static ModelShape Llama110M(int vocab) => new("llama-110m", 768, 12, 12, 12, 2048, vocab, "f32");

    public static ModelShape TinyLlama(int vocab, string dtype) => new("llama-1b", 2048, 22, 32, 4, 5632, vocab, dtype);
}
