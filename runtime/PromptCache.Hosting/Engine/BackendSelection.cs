using PromptCache.Cuda.Backend;
using PromptCache.Cuda.Device;
using PromptCache.Runtime.Backends;

namespace PromptCache.Hosting;

/// <summary>The compute backend a host runs on, with the reason it was chosen (logged at start-up).</summary>
/// <param name="Backend">The backend, or null for the engine's default managed CPU backend.</param>
/// <param name="Name">"CPU" or "CUDA".</param>
/// <param name="Reason">Why: requested, or what Auto found.</param>
internal sealed record BackendSelection(IComputeBackend? Backend, string Name, string Reason) : IDisposable
{
    /// <summary>Resolves <paramref name="requested"/>: Auto takes CUDA when a device opens, else the CPU.</summary>
    /// <param name="requested">The configured backend.</param>
    /// <param name="deviceBudgetBytes">The CUDA backend's device K/V budget (0: none of its own).</param>
    /// <param name="cudaSettings">The CUDA backend's settings by option name (<see cref="PromptCacheOptions.CudaSettings"/>), validated at start-up.</param>
    /// <exception cref="InvalidOperationException">CUDA was requested but cannot be used here; the message says why.</exception>
    public static BackendSelection Choose(ComputeBackend requested, long deviceBudgetBytes = 0, IReadOnlyDictionary<string, string>? cudaSettings = null)
    {
        if (requested == ComputeBackend.Cpu) return new(null, "CPU", "requested");
        bool available = CudaDevice.IsAvailable(out string reason);
        if (requested == ComputeBackend.Cuda && !available)
            throw new InvalidOperationException($"PromptCache Backend = Cuda, but CUDA cannot be used on this machine: {reason}. Use ComputeBackend.Auto or Cpu to run on the CPU.");
        return available
            ? new(new CudaBackend(CudaOptions(deviceBudgetBytes, cudaSettings)), "CUDA", requested == ComputeBackend.Cuda ? "requested" : "Auto: a CUDA device is present")
            : new(null, "CPU", $"Auto: no usable CUDA device ({reason}), so the managed CPU backend runs the model");
    }

    /// <summary>The CUDA backend's options: the budget, then the settings (a budget among them wins).</summary>
    internal static CudaBackendOptions CudaOptions(long deviceBudgetBytes, IReadOnlyDictionary<string, string>? cudaSettings)
    {
        var settings = new List<KeyValuePair<string, string>>();
        if (deviceBudgetBytes > 0) settings.Add(new(nameof(CudaBackendOptions.DeviceKvBudgetBytes), deviceBudgetBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (cudaSettings is not null) settings.AddRange(cudaSettings);
        return CudaBackendSettings.Parse(settings);
    }

    /// <summary>Frees the backend's device memory (after the engine is disposed).</summary>
    public void Dispose() => (Backend as IDisposable)?.Dispose();
}
