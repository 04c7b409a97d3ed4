using System.CommandLine;
using PromptCache.Cuda.Backend;
using PromptCache.Cuda.Interop;
using PromptCache.Runtime.Backends;

namespace PromptCache.Cli.Commands;

/// <summary>`--backend cpu|cuda`, shared by the commands that load a model.</summary>
internal static class BackendOption
{
    public static Option<string> Create() => new("--backend")
    {
        Description = "Where the model runs: cpu (managed, the default) or cuda (an NVIDIA GPU; needs the CUDA driver, cuBLAS and NVRTC).",
        DefaultValueFactory = _ => "cpu",
    };

    /// <summary>The backend named <paramref name="name"/>; null is the CPU (the model's default). The caller disposes it.</summary>
    /// <exception cref="ArgumentException">An unknown name, or CUDA that cannot be used here (the message says why).</exception>
    public static IComputeBackend? Open(string name)
    {
        switch (name.ToLowerInvariant())
        {
            case "cpu":
                return null;
            case "cuda":
                try
                {
                    return new CudaBackend();
                }
                catch (CudaUnavailableException e)
                {
                    throw new ArgumentException($"--backend cuda: {e.Message}", e);
                }
            default:
                throw new ArgumentException($"--backend '{name}' is not a backend; use cpu or cuda.");
        }
    }
}
