namespace PromptCache.Hosting;

/// <summary>Where the model's forward passes run.</summary>
public enum ComputeBackend
{
    /// <summary>CUDA when a CUDA device can be opened (driver, cuBLAS and NVRTC found), else the CPU; the choice and its reason are logged.</summary>
    Auto,

    /// <summary>The managed CPU backend (no native install needed).</summary>
    Cpu,

    /// <summary>
    /// The CUDA backend (bf16 weights on the GPU). Loading fails with a message naming what is missing
    /// when no CUDA device can be used, rather than silently running on the CPU.
    /// </summary>
    Cuda,
}
