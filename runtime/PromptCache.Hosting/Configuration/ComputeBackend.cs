namespace PromptCache.Hosting;

/// <summary>Where the model's forward passes run.</summary>
public enum ComputeBackend
{
    /// <summary>CUDA when this build has a CUDA backend and a GPU is present, else the CPU. Today: always the CPU.</summary>
    Auto,

    /// <summary>The managed CPU backend (no native install needed).</summary>
    Cpu,

    /// <summary>
    /// The CUDA backend. Not supported yet: the engine has no CUDA integration in this build, so
    /// options validation rejects it with a message saying so (rather than silently running on the CPU).
    /// </summary>
    Cuda,
}
