namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// Storage type of a weight matrix handed to <see cref="CpuGemm"/>. Weights stay in the dtype they
/// were stored in (memory-mapped); the GEMM converts them to f32 while packing, so a bf16 model
/// costs half the memory traffic of an f32 one.
/// </summary>
public enum WeightType
{
    /// <summary>IEEE-754 binary32, 4 bytes per value.</summary>
    F32,

    /// <summary>IEEE-754 binary16 (half), 2 bytes per value.</summary>
    F16,

    /// <summary>bfloat16: the upper 16 bits of a binary32, 2 bytes per value.</summary>
    BF16,

    /// <summary>
    /// GGUF Q8_0: blocks of 32 values, each block is one fp16 scale <c>d</c> followed by 32 signed
    /// bytes <c>q</c> (34 bytes); value = d·q. A row of k values is k/32 blocks, so k must be a
    /// multiple of 32.
    /// </summary>
    Q8_0,
}
