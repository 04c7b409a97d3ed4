namespace PromptCache.Cuda.Tests;

/// <summary>
/// The GPU tests run one at a time, so that each measures what it means to (GpuConcurrencyTests makes its
/// own overlap of two backends, on purpose).
/// </summary>
[CollectionDefinition(Name)]
public sealed class CudaDeviceCollection
{
    public const string Name = "CUDA device";
}
