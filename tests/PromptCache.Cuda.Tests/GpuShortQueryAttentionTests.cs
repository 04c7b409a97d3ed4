using PromptCache.Cuda.Backend;
using PromptCache.Engine.Synthetic;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cuda.Tests;

/// <summary>
/// On a GPU: short queries through the warp-specialised attention kernel (<see cref="CudaBackendOptions.WarpSpecializedShortQueries"/>,
/// opt-in) give the CPU backend's logits, and those of the one-warpgroup kernel up to the order of the f32 sums.
/// </summary>
[Collection(CudaDeviceCollection.Name)]
public sealed class GpuShortQueryAttentionTests
{
    // Head dimension 128 (512 / 4 heads): where the warp-specialised kernel runs. 1 row: a decode step; 45 and 64: suffixes.
    [CudaTheory]
    [InlineData(1)]
    [InlineData(45)]
    [InlineData(64)]
    public void The_warp_specialised_kernel_gives_short_queries_the_cpu_logits(int tokens)
    {
        var shape = GpuPrefillFusionTests.Shape;
        string folder = SyntheticCheckpoint.Ensure(shape);
        float[] cpu, ws, plain;
        using (var cpuModel = LlamaModel.Load(folder, CpuBackend.Instance)) cpu = GpuPrefillFusionTests.Run(cpuModel, tokens);
        using (var backend = new CudaBackend(new CudaBackendOptions { KvHostWriteBack = false, WarpSpecializedShortQueries = true }))
        using (var model = LlamaModel.Load(folder, backend))
        {
            ws = GpuPrefillFusionTests.Run(model, tokens);
            long launches = backend.ShortQueryWsLaunches;
            backend.WarpSpecializedShortQueriesOverride = false;
            plain = GpuPrefillFusionTests.Run(model, tokens);
            bool hopper = backend.Device.ComputeCapability is { Major: 9, Minor: 0 };
            Assert.True(hopper ? launches >= shape.LayerCount : launches == 0, $"{launches} launches");
        }
        GpuParityTests.AssertClose(cpu, ws, shape.VocabSize, "warp-specialised short queries vs CPU");
        GpuPrefillFusionTests.AssertNearlySame(plain, ws, "warp-specialised vs one-warpgroup kernel");
    }
}
