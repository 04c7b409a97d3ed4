using System.Runtime.CompilerServices;
using PromptCache.Cuda.Device;

namespace PromptCache.Cuda.Tests;

/// <summary>A fact that runs only where a CUDA device answers (libcuda loads, cuInit succeeds, a GPU is present).</summary>
internal sealed class CudaFactAttribute : FactAttribute
{
    /// <summary>Why GPU tests skip here, or null where a device answers (shared with <see cref="CudaTheoryAttribute"/>).</summary>
    internal static readonly string? SkipReason = CudaDevice.IsAvailable(out string reason) ? null : "needs a CUDA GPU: " + reason;

    public CudaFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (SkipReason is not null) Skip = SkipReason;
    }
}
