using System.CommandLine;
using PromptCache.Cuda.Backend;
using PromptCache.Cuda.Interop;
using PromptCache.Runtime.Backends;

namespace PromptCache.Cli.Commands;

/// <summary>`--backend cpu|cuda` and `--cuda-option NAME=VALUE`, shared by the commands that load a model.</summary>
internal static class BackendOption
{
    public static Option<string> Create() => new("--backend")
    {
        Description = "Where the model runs: cpu (managed, the default) or cuda (an NVIDIA GPU; needs the CUDA driver, cuBLAS and NVRTC).",
        DefaultValueFactory = _ => "cpu",
    };

    /// <summary>`--cuda-option NAME=VALUE`, repeatable: one <see cref="CudaBackendOptions"/> setting over its default.</summary>
    public static Option<string[]> CreateCudaSettings() => new("--cuda-option")
    {
        Description = "A CUDA backend setting as NAME=VALUE, NAME a CudaBackendOptions property (e.g. SkinnyGemm=Kernel, " +
                      "WarpSpecializedShortQueries=true); repeatable; with --backend cuda only.",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>
    /// The backend named <paramref name="name"/>, CUDA with <paramref name="cudaSettings"/> applied; null is the CPU (the
    /// model's default). The caller disposes it.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// An unknown name, CUDA that cannot be used here (the message says why), or a CUDA setting that is malformed, unknown,
    /// of the wrong type, or given without --backend cuda.
    /// </exception>
    public static IComputeBackend? Open(string name, IReadOnlyList<string>? cudaSettings = null)
    {
        cudaSettings ??= [];
        switch (name.ToLowerInvariant())
        {
            case "cpu":
                if (cudaSettings.Count > 0) throw new ArgumentException($"--cuda-option '{cudaSettings[0]}' needs --backend cuda.");
                return null;
            case "cuda":
                var options = CudaOptions(cudaSettings); // before opening the GPU, which takes seconds
                try
                {
                    return new CudaBackend(options);
                }
                catch (CudaUnavailableException e)
                {
                    throw new ArgumentException($"--backend cuda: {e.Message}", e);
                }
            default:
                throw new ArgumentException($"--backend '{name}' is not a backend; use cpu or cuda.");
        }
    }

    /// <summary>The default <see cref="CudaBackendOptions"/> with each NAME=VALUE of <paramref name="settings"/> applied, in order.</summary>
    /// <exception cref="ArgumentException">A setting that is not NAME=VALUE, names no property, or whose value does not parse.</exception>
    internal static CudaBackendOptions CudaOptions(IReadOnlyList<string> settings)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (string setting in settings)
        {
            int equals = setting.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) throw new ArgumentException($"--cuda-option '{setting}' is not NAME=VALUE.");
            pairs.Add(new(setting[..equals], setting[(equals + 1)..]));
        }
        try
        {
            return CudaBackendSettings.Parse(pairs);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException("--cuda-option: " + e.Message, e);
        }
    }
}
