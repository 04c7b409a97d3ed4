using PromptCache.Cuda.Device;

namespace PromptCache.Cuda.Tests;

/// <summary>A theory that runs only where a CUDA device answers, like <see cref="CudaFactAttribute"/>.</summary>
internal sealed class CudaTheoryAttribute : TheoryAttribute
{
    private static readonly string? SkipReason = CudaDevice.IsAvailable(out string reason) ? null : "needs a CUDA GPU: " + reason;

    public CudaTheoryAttribute()
    {
        if (SkipReason is not null) Skip = SkipReason;
    }
}
