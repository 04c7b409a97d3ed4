using PromptCache.Cuda.Backend;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cuda.Tests;

/// <summary>
/// On a GPU: K/V copied back to host memory asynchronously (with CUDA graphs, the library default) equals
/// the synchronous copy, byte for byte.
/// </summary>
[Collection(CudaDeviceCollection.Name)]
public sealed class GpuWriteBackTests
{
    [CudaTheory]
    [InlineData(KvDataType.F16)]
    [InlineData(KvDataType.BF16)]
    [InlineData(KvDataType.F32)]
    public void Asynchronous_write_back_lands_the_same_bytes_as_the_synchronous_one(KvDataType type)
    {
        // One backend for both modes: each backend tunes its GEMM algorithms, and two tunings may sum in
        // different orders.
        string folder = GpuParityTests.FixtureFolder("llama");
        using var backend = new CudaBackend();
        using var model = LlamaModel.Load(folder, backend);
        AssertSameLayers(HostBytes(backend, model, folder, type, asynchronous: false), HostBytes(backend, model, folder, type, asynchronous: true));
    }

    [CudaTheory]
    [InlineData(KvDataType.F16)]
    [InlineData(KvDataType.BF16)]
    public void Host_bytes_read_right_after_a_prefill_wait_for_copies_still_in_a_recorded_graph(KvDataType type)
    {
        // A prefill reads no logits, so its last CUDA graph chunk (and the copy-back of the rows it stores)
        // is still unlaunched when the caller reads the segment: the read must launch it and wait.
        string folder = GpuParityTests.FixtureFolder("llama");
        using var backend = new CudaBackend();
        using var model = LlamaModel.Load(folder, backend);
        var (ids, positions, _) = GpuParityTests.PlainPrompt(folder);
        byte[][] Prefill(bool asynchronous)
        {
            backend.HostWriteBackOverride = (true, asynchronous);
            using var segment = model.Prefill(ids, positions, dataType: type);
            return LayerBytes(segment);
        }
        byte[][] sync = Prefill(asynchronous: false), recorded = Prefill(asynchronous: true);
        Assert.True(backend.GraphStats.Launched > 0, "the asynchronous write-back should have run with CUDA graphs");
        AssertSameLayers(sync, recorded);
    }

    [CudaTheory]
    [InlineData(KvDataType.F16)]
    [InlineData(KvDataType.BF16)]
    public void A_segment_kept_on_the_device_is_saved_to_host_memory_before_its_device_copy_is_dropped(KvDataType type)
    {
        // A budget of one byte: every device copy the next forward does not use is dropped.
        string folder = GpuParityTests.FixtureFolder("llama");
        using var backend = new CudaBackend(new CudaBackendOptions { DeviceKvBudgetBytes = 1 });
        using var model = LlamaModel.Load(folder, backend);
        var (ids, positions, _) = GpuParityTests.PlainPrompt(folder);
        using var copiedBack = model.CreateSegment(type, ids.Length);
        model.Forward(ids, positions, [], copiedBack, LogitsMode.Last);
        using var deviceOnly = model.CreateSegment(type, ids.Length);
        deviceOnly.HostWriteBack = false;
        model.Forward(ids, positions, [], deviceOnly, LogitsMode.Last);
        // Its host bytes were not written: make sure they are wrong, whatever memory the segment was given.
        for (int layer = 0; layer < deviceOnly.LayerCount; layer++)
        {
            deviceOnly.GetWritableKeys(layer).Fill(0x7f);
            deviceOnly.GetWritableValues(layer).Fill(0x7f);
        }

        long before = backend.DeviceKvEvictions;
        int next = positions[^1] + 1;
        model.Forward([ids[0]], [next], [], null, LogitsMode.Last); // drops the idle device copy of deviceOnly
        Assert.True(backend.DeviceKvEvictions > before, "the idle device copy should have been dropped");
        AssertSameLayers(LayerBytes(copiedBack), LayerBytes(deviceOnly));

        // Attended to again, each is loaded back from its host bytes: the same logits.
        float[] Next(KvSegment context) => model.Forward([ids[1]], [next], [context], null, LogitsMode.Last).Row(0).ToArray();
        Assert.Equal(Next(copiedBack), Next(deviceOnly));
    }

    // A prompt, then three decode steps into the same segment (the rows land at growing offsets), read
    // back at once: the read must wait for the copies still in flight.
    private static byte[][] HostBytes(CudaBackend backend, LlamaModel model, string folder, KvDataType type, bool asynchronous)
    {
        var (ids, positions, _) = GpuParityTests.PlainPrompt(folder);
        backend.HostWriteBackOverride = (true, asynchronous);
        using var segment = model.CreateSegment(type, ids.Length + 3);
        model.Forward(ids, positions, [], segment, LogitsMode.Last);
        for (int t = 0; t < 3; t++) model.Forward([ids[t]], [positions[^1] + 1 + t], [], segment, LogitsMode.Last);
        return LayerBytes(segment);
    }

    // Each layer's host bytes (reading them waits for the copies into them).
    internal static byte[][] LayerBytes(KvSegment segment)
    {
        var layers = new byte[segment.LayerCount][];
        for (int l = 0; l < layers.Length; l++)
        {
            layers[l] = new byte[segment.LayerByteCount];
            segment.CopyLayerTo(l, layers[l]);
        }
        return layers;
    }

    internal static void AssertSameLayers(byte[][] expected, byte[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int layer = 0; layer < expected.Length; layer++) Assert.True(expected[layer].AsSpan().SequenceEqual(actual[layer]), $"layer {layer} differs");
    }
}
