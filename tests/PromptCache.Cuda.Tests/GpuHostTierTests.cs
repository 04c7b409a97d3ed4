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

    [CudaTheory]
    [InlineData(KvDataType.F16)]
    [InlineData(KvDataType.BF16)]
    public void A_segment_still_being_filled_behind_its_layer_gate_is_loaded_one_layer_at_a_time(KvDataType type)
    {
        // A conversation's history is written layer by layer while the turn's forward runs; the model passes the
        // segment's gate for a layer before attending to it. Loading every layer at the first would read garbage.
        string folder = GpuParityTests.FixtureFolder("llama");
        using var backend = new CudaBackend();
        using var model = LlamaModel.Load(folder, backend);
        var (ids, positions, _) = GpuParityTests.PlainPrompt(folder);
        int n = ids.Length / 2;
        using var filled = model.CreateSegment(type, n);
        model.Forward(ids.AsSpan(0, n), positions.AsSpan(0, n), [], filled, LogitsMode.Last);
        byte[][] layers = GpuWriteBackTests.LayerBytes(filled);
        using var gated = KvSegment.Allocate(filled.LayerCount, filled.KvHeadCount, filled.HeadDim, type, filled.Positions);
        for (int l = 0; l < gated.LayerCount; l++)
        {
            gated.GetWritableKeys(l).Fill(0x7f); // huge values until the gate writes the layer
            gated.GetWritableValues(l).Fill(0x7f);
        }
        var written = new HashSet<int>();
        gated.SetLayerGate((layer, _) =>
        {
            if (!written.Add(layer)) return;
            int half = layers[layer].Length / 2;
            layers[layer].AsSpan(0, half).CopyTo(gated.GetWritableKeys(layer));
            layers[layer].AsSpan(half).CopyTo(gated.GetWritableValues(layer));
        });

        backend.DropDeviceKvCopies(); // both load from host memory, through the same conversion
        float[] Attend(KvSegment context) => model.Forward(ids.AsSpan(n), positions.AsSpan(n), [context], null, LogitsMode.Last).Row(0).ToArray();
        float[] expected = Attend(filled);
        long before = backend.GatedLoads;
        float[] actual = Attend(gated);
        Assert.Equal(expected, actual);
        Assert.Equal(before + 1, backend.GatedLoads);
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
