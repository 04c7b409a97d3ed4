using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Models;

namespace PromptCache.Runtime.Backends;

/// <summary>
/// The few tensor operations a Llama-family forward needs. The model code calls only these, so a
/// GPU backend can replace the CPU one. Activation pointers come from <see cref="Allocate"/> and
/// belong to the backend's memory (host memory on the CPU, device memory elsewhere); the model never
/// dereferences them itself.
/// </summary>
public unsafe interface IComputeBackend
{
    /// <summary>A short name for logs ("cpu").</summary>
    string Name { get; }

    /// <summary>Allocates <paramref name="count"/> floats of activation memory.</summary>
    float* Allocate(long count);

    /// <summary>Frees memory from <see cref="Allocate"/>.</summary>
    void Free(float* buffer);

    /// <summary>Looks up embedding rows: <c>y[i] = E[ids[i]]</c>, converted to f32.</summary>
    void Embed(in WeightTensor embedding, ReadOnlySpan<int> ids, float* y);

    /// <summary>A linear layer: <c>y[m × W.Rows] = x[m × W.Cols] · Wᵀ</c>.</summary>
    void MatMul(float* x, int m, in WeightTensor w, float* y);

    /// <summary>
    /// A linear layer added into <paramref name="y"/> (a residual connection): <c>y[m × W.Rows] += x[m × W.Cols] · Wᵀ</c>.
    /// <paramref name="scratch"/> (m × W.Rows floats, apart from x and y) is left holding unspecified values. The default
    /// is <see cref="MatMul"/> into scratch, then <see cref="Add"/>; a backend may add inside the GEMM instead and skip
    /// writing and reading back the product.
    /// </summary>
    void MatMulAdd(float* x, int m, in WeightTensor w, float* y, float* scratch)
    {
        MatMul(x, m, w, scratch);
        Add(y, scratch, (long)m * w.Rows);
    }

    /// <summary>Adds <paramref name="bias"/> to each of the <paramref name="m"/> rows of <paramref name="x"/>.</summary>
    void AddBias(float* x, int m, float[] bias);

    /// <summary>RMSNorm of each row: <c>y = x / sqrt(mean(x²) + eps) · weight</c>. In place when x == y.</summary>
    void RmsNorm(float* x, float* y, int rows, int width, float[] weight, float eps);

    /// <summary>Rotates each head of <paramref name="m"/> rows of <paramref name="heads"/> heads by the token's position.</summary>
    void Rope(float* x, int m, int heads, RopeTable table, RopeStyle style);

    /// <summary>
    /// SwiGLU: <c>gate = silu(gate) · up</c>, element-wise. Afterwards <paramref name="up"/> holds
    /// unspecified values: a backend may fuse the product with the GEMMs that produced gate and up and
    /// use up's memory as scratch.
    /// </summary>
    void SiluMul(float* gate, float* up, long count);

    /// <summary><c>x += y</c>, element-wise (residual connections).</summary>
    void Add(float* x, float* y, long count);

    /// <summary>
    /// Writes <paramref name="m"/> tokens of K and V (rows of kv_heads·head_dim) into <paramref name="segment"/> at
    /// token <paramref name="start"/> of <paramref name="layer"/>, converting to its storage type. Afterwards
    /// <paramref name="k"/> and <paramref name="v"/> hold unspecified values: a backend may finish their RoPE or
    /// projection on the way into the segment instead of in their own memory.
    /// </summary>
    void StoreKv(KvSegment segment, int layer, int start, float* k, float* v, int m);

    /// <summary>
    /// Scaled dot-product attention of <paramref name="m"/> query rows (heads·head_dim each) over the
    /// keys and values of <paramref name="context"/>, writing <paramref name="m"/> rows to <paramref name="output"/>.
    /// </summary>
    void Attention(float* q, int m, int heads, ReadOnlySpan<KvBlock> context, int layer, float* output);

    /// <summary>Copies activations back to host memory.</summary>
    void CopyToHost(float* source, Span<float> destination);

    /// <summary>
    /// The forward pass has ended: start whatever work is still held back (the CUDA backend records its
    /// launches into CUDA graphs and holds the last part until the result is read), so the device does
    /// not wait for the next call, e.g. after a prefill that reads no logits. A backend that runs every
    /// call at once has nothing to do.
    /// </summary>
    void Flush() { }

    /// <summary>
    /// How many new tokens <see cref="PromptCache.Runtime.Inference.LlamaModel"/> pushes through the layers
    /// at once by default (its <c>MaxChunkTokens</c>). 512 keeps a CPU's activations in cache; a GPU's matrix
    /// units need more rows per GEMM to reach their rate.
    /// </summary>
    int PreferredChunkTokens => 512;

    /// <summary>
    /// Page-locks <paramref name="bytes"/> of host memory at <paramref name="address"/> that K/V is loaded
    /// from again and again (the engine's warmed modules: AttentionStore's pinned host tier), so that a GPU
    /// backend copies from it asynchronously, at the bus's rate and layer by layer while it computes.
    /// Dispose the result before the memory is freed. Null when the backend has nothing to gain (the CPU)
    /// or the driver refuses; loads then still work, only slower.
    /// </summary>
    IDisposable? PinHostMemory(void* address, long bytes) => null;
}
