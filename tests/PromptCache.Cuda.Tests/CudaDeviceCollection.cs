namespace PromptCache.Cuda.Tests;

/// <summary>
/// Tests that use the GPU or the process-wide <c>CaptureGuard</c> run one at a time: a guard test counts
/// recordings, which a GPU test running beside it would open. (GpuConcurrencyTests makes its own overlap.)
/// </summary>
[CollectionDefinition(Name)]
public sealed class CudaDeviceCollection
{
    public const string Name = "CUDA device";
}
