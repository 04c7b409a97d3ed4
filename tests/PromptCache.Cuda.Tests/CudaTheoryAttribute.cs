using System.Runtime.CompilerServices;

namespace PromptCache.Cuda.Tests;

/// <summary>A theory that runs only where a CUDA device answers, like <see cref="CudaFactAttribute"/>.</summary>
internal sealed class CudaTheoryAttribute : TheoryAttribute
{
    public CudaTheoryAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (CudaFactAttribute.SkipReason is not null) Skip = CudaFactAttribute.SkipReason;
    }
}
