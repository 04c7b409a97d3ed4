using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PromptCache.Cuda.Interop;

/// <summary>
/// Installs the assembly's DllImport resolver before any binding runs, mapping the logical names of
/// <see cref="CudaLibraryNames"/> to the first candidate that loads, and remembering what was tried
/// so a missing CUDA install gives one clear message instead of a bare DllNotFoundException.
/// </summary>
internal static class CudaLibraryResolver
{
    private static readonly ConcurrentDictionary<string, string> Tried = new();
    private static readonly ConcurrentDictionary<string, string> Loaded = new();

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "The resolver must be in place before the first P/Invoke.")]
    internal static void Install() => NativeLibrary.SetDllImportResolver(typeof(CudaLibraryResolver).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        bool windows = OperatingSystem.IsWindows();
        var dirs = CudaLibraryNames.DefaultSearchDirectories(Environment.GetEnvironmentVariable("CUDA_PATH"), windows);
        var candidates = CudaLibraryNames.Candidates(name, windows, dirs);
        if (candidates.Count == 0) return IntPtr.Zero;
        foreach (string candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out IntPtr handle))
            {
                Loaded[name] = candidate;
                return handle;
            }
        }
        Tried[name] = string.Join(", ", candidates);
        return IntPtr.Zero;
    }

    /// <summary>The file a logical name was loaded from, or null when not (yet) loaded.</summary>
    public static string? LoadedFrom(string logicalName) => Loaded.TryGetValue(logicalName, out var f) ? f : null;

    /// <summary>A message for a library that failed to load, naming every path tried.</summary>
    public static string DescribeMissing(string logicalName, string what) =>
        $"{what} could not be loaded. Tried: {(Tried.TryGetValue(logicalName, out var t) ? t : string.Join(", ", CudaLibraryNames.Candidates(logicalName, OperatingSystem.IsWindows(), CudaLibraryNames.DefaultSearchDirectories(Environment.GetEnvironmentVariable("CUDA_PATH"), OperatingSystem.IsWindows()))))}. " +
        "Install the NVIDIA driver (libcuda) and the CUDA 12 or 13 runtime libraries (cuBLAS, NVRTC), or add their folder to LD_LIBRARY_PATH.";
}
