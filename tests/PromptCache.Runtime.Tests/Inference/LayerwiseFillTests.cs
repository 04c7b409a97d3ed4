using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Tests.Support;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>A context segment filled layer by layer while the forward pass runs (layer-wise preloading).</summary>
public sealed class LayerwiseFillTests
{
    private static readonly int[] Ids = [5, 17, 33, 2, 90, 41, 8, 66];

    [Fact]
    public async Task A_segment_filled_during_the_forward_gives_the_same_logits_as_a_ready_one()
    {
        using var model = LlamaModel.Load(Fixtures.Folder("llama"));
        int[] positions = [.. Enumerable.Range(0, Ids.Length)];
        using var ready = model.Prefill(Ids, positions);
        var expected = model.Forward([7, 9], [20, 21], [ready], null, LogitsMode.All);

        using var filling = KvSegment.Allocate(ready.LayerCount, ready.KvHeadCount, ready.HeadDim, ready.DataType, ready.Positions);
        var layerDone = Enumerable.Range(0, ready.LayerCount).Select(_ => new ManualResetEventSlim()).ToArray();
        var waited = new List<int>();
        filling.SetLayerGate((layer, ct) =>
        {
            lock (waited) waited.Add(layer);
            layerDone[layer].Wait(ct);
        });
        var fill = Task.Run(async () =>
        {
            var bytes = new byte[ready.LayerByteCount];
            for (int l = 0; l < ready.LayerCount; l++)
            {
                await Task.Delay(20); // the forward reaches layer l's attention before its K/V is there
                ready.CopyLayerTo(l, bytes);
                int half = bytes.Length / 2;
                bytes.AsSpan(0, half).CopyTo(filling.GetWritableKeys(l));
                bytes.AsSpan(half).CopyTo(filling.GetWritableValues(l));
                layerDone[l].Set();
            }
        });

        var actual = await Task.Run(() => model.Forward([7, 9], [20, 21], [filling], null, LogitsMode.All));
        await fill;
        Assert.Equal(expected.Logits, actual.Logits);
        Assert.Equal(Enumerable.Range(0, ready.LayerCount), waited);
    }

    [Fact]
    public void A_gate_that_fails_aborts_the_forward_with_its_exception()
    {
        using var model = LlamaModel.Load(Fixtures.Folder("llama"));
        using var segment = KvSegment.Allocate(model.Config.LayerCount, model.Config.KvHeadCount, model.Config.HeadDim, KvDataType.F32, [0, 1, 2]);
        segment.SetLayerGate((layer, _) => throw new InvalidDataException($"layer {layer} failed its checksum"));
        var e = Assert.Throws<InvalidDataException>(() => model.Forward([7], [3], [segment], null, LogitsMode.Last));
        Assert.Equal("layer 0 failed its checksum", e.Message);
    }

    [Fact]
    public void A_borrowed_segment_is_read_only()
    {
        using var model = LlamaModel.Load(Fixtures.Folder("llama"));
        using var source = model.Prefill(Ids, [.. Enumerable.Range(0, Ids.Length)]);
        var bytes = new byte[source.LayerCount][];
        var handles = new List<System.Runtime.InteropServices.GCHandle>();
        for (int l = 0; l < source.LayerCount; l++)
        {
            bytes[l] = new byte[source.LayerByteCount];
            source.CopyLayerTo(l, bytes[l]);
            handles.Add(System.Runtime.InteropServices.GCHandle.Alloc(bytes[l], System.Runtime.InteropServices.GCHandleType.Pinned));
        }
        var released = new Released(handles);
        var borrowed = KvSegment.Borrow(source.LayerCount, source.KvHeadCount, source.HeadDim, source.DataType, source.Positions,
            l => handles[l].AddrOfPinnedObject(), released);
        Assert.True(borrowed.IsBorrowed);
        Assert.Equal(model.Forward([7], [30], [source], null, LogitsMode.Last).Logits, model.Forward([7], [30], [borrowed], null, LogitsMode.Last).Logits);
        Assert.Throws<InvalidOperationException>(() => borrowed.GetWritableKeys(0));
        Assert.Throws<InvalidOperationException>(() => borrowed.Truncate(1));
        Assert.Throws<InvalidOperationException>(() => model.Forward([7], [30], [], borrowed, LogitsMode.Last));
        borrowed.Dispose();
        Assert.True(released.Disposed);
    }

    private sealed class Released(List<System.Runtime.InteropServices.GCHandle> handles) : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose()
        {
            handles.ForEach(h => h.Free());
            Disposed = true;
        }
    }
}
