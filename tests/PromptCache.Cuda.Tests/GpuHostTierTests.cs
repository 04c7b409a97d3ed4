using System.Runtime.InteropServices;
using PromptCache.Cuda.Backend;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cuda.Tests;

/// <summary>
/// On a GPU: segments found only in host memory (the host tier) load layer by layer in every storage type, to
/// the logits of a load that finishes before the forward; and page-locking host memory is counted and undone.
/// </summary>
[Collection(CudaDeviceCollection.Name)]
public sealed class GpuHostTierTests
{
    [CudaTheory]
    [InlineData(KvDataType.F16, true)]
    [InlineData(KvDataType.F32, true)]
    [InlineData(KvDataType.BF16, true)]
    [InlineData(KvDataType.F16, false)]
    public void A_host_segment_loaded_layer_by_layer_gives_the_logits_of_one_loaded_before_the_forward(KvDataType type, bool pin)
    {
        string folder = GpuParityTests.FixtureFolder("llama");
        using var backend = new CudaBackend();
        using var model = LlamaModel.Load(folder, backend);
        var (ids, positions, _) = GpuParityTests.PlainPrompt(folder);
        int n = ids.Length / 2;
        using var module = model.CreateSegment(type, n);
        model.Forward(ids.AsSpan(0, n), positions.AsSpan(0, n), [], module, LogitsMode.Last);
        bool pinned = pin && backend.PinHostMemory(module);
        Assert.Equal(pin, pinned);
        try
        {
            float[] Attend(bool layerwise)
            {
                backend.LayerwiseHostLoad = layerwise;
                Assert.True(backend.DropDeviceKvCopies() > 0, "the module's device copy should have been dropped");
                Assert.Equal(0, backend.DeviceKvBytes);
                return model.Forward(ids.AsSpan(n), positions.AsSpan(n), [module], null, LogitsMode.Last).Row(0).ToArray();
            }
            float[] beforeTheForward = Attend(layerwise: false);
            long loads = backend.LayerwiseLoads;
            float[] layerByLayer = Attend(layerwise: true);
            Assert.Equal(loads + 1, backend.LayerwiseLoads);
            // The same conversion kernel on the same host bytes: the same bf16 keys and values, so the same logits.
            Assert.Equal(beforeTheForward, layerByLayer);
        }
        finally
        {
            if (pinned) backend.UnpinHostMemory(module);
        }
    }

    [CudaFact]
    public unsafe void Page_locked_host_memory_is_counted_until_released_and_a_second_lock_of_it_is_refused()
    {
        using var backend = new CudaBackend();
        const long bytes = 4L << 20;
        void* block = NativeMemory.AlignedAlloc((nuint)bytes, 4096);
        try
        {
            new Span<byte>(block, (int)bytes).Fill(1);
            var pin = backend.PinHostMemory(block, bytes);
            Assert.NotNull(pin);
            Assert.Equal(bytes, backend.PinnedHostBytes);
            long refusals = backend.PinRefusals;
            Assert.Null(backend.PinHostMemory(block, bytes)); // already registered
            Assert.Equal(refusals + 1, backend.PinRefusals);
            Assert.Contains("cuMemHostRegister", backend.LastPinError);
            pin!.Dispose();
            pin.Dispose(); // once only
            Assert.Equal(0, backend.PinnedHostBytes);
            using var again = backend.PinHostMemory(block, bytes); // released: it can be locked again
            Assert.NotNull(again);
        }
        finally
        {
            NativeMemory.AlignedFree(block);
        }
    }
}
