using System.Globalization;
using PromptCache.Cuda.Device;

namespace PromptCache.Cuda.Kernels;

/// <summary>How a kernel unit is compiled: target, macros and standard. Pure, so it is unit-tested.</summary>
/// <param name="Capability">The device's SM version.</param>
/// <param name="Defines">Macros, e.g. HEAD_DIM=128 (name → value), applied in name order.</param>
/// <param name="EmitPtx">Compile for the virtual architecture (PTX, JIT-compiled by the driver)
/// instead of a cubin for the real one: the fallback when this NVRTC does not know the GPU.</param>
/// <param name="ArchSpecific">Target the architecture-specific variant (sm_90a): the instructions that
/// exist on that GPU generation only (wgmma), in code that runs on no other.</param>
internal sealed record NvrtcOptions(ComputeCapability Capability, IReadOnlyDictionary<string, string> Defines, bool EmitPtx = false, bool ArchSpecific = false)
{
    /// <summary>The command-line options passed to nvrtcCompileProgram.</summary>
    public IReadOnlyList<string> Arguments()
    {
        string arch = $"{Capability.Major}{Capability.Minor}{(ArchSpecific ? "a" : "")}";
        var args = new List<string>
        {
            EmitPtx ? $"--gpu-architecture=compute_{arch}" : $"--gpu-architecture=sm_{arch}",
            "--std=c++17",
            // Accuracy over speed: expf/rsqrtf keep IEEE behaviour (no --use_fast_math).
            "--fmad=true",
        };
        foreach (var (name, value) in Defines.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                throw new ArgumentException($"Invalid macro name '{name}'.", nameof(Defines));
            args.Add(value.Length == 0 ? $"-D{name}" : $"-D{name}={value}");
        }
        return args;
    }

    /// <summary>A convenience for one integer macro.</summary>
    public static IReadOnlyDictionary<string, string> Define(string name, int value) =>
        new Dictionary<string, string> { [name] = value.ToString(CultureInfo.InvariantCulture) };

    /// <summary>No macros.</summary>
    public static IReadOnlyDictionary<string, string> None { get; } = new Dictionary<string, string>();
}
