using PromptCache.Runtime.Inference;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>
/// A segment whose host bytes a GPU backend is still copying into: reads, growth and disposal wait for
/// the copies, and a failed copy is an error rather than stale bytes.
/// </summary>
public sealed class PendingHostWritesTests
{
    // Stands in for a backend's in-flight copies: blocks every waiter until Land() or Fail().
    private sealed class Gate : IPendingHostWrites
    {
        private readonly ManualResetEventSlim _landed = new();
        private Exception? _failure;
        public int Waits;

        public void Land() => _landed.Set();

        public void Fail(Exception e)
        {
            _failure = e;
            _landed.Set();
        }

        public void WaitForHostWrites()
        {
            Interlocked.Increment(ref Waits);
            _landed.Wait();
            if (_failure is not null) throw new InvalidOperationException("copy failed", _failure);
        }
    }

    private static KvSegment Filled(int tokens = 4)
    {
        var segment = KvSegment.Allocate(2, 1, 4, KvDataType.F32, Enumerable.Range(0, tokens).ToArray());
        for (int l = 0; l < 2; l++)
        {
            segment.GetWritableKeys(l).Fill((byte)(l + 1));
            segment.GetWritableValues(l).Fill((byte)(l + 11));
        }
        return segment;
    }

    [Fact]
    public async Task Reading_the_bytes_waits_until_the_writes_land()
    {
        using var segment = Filled();
        var gate = new Gate();
        segment.SetPendingHostWrites(gate);
        var read = Task.Run(() =>
        {
            var bytes = new byte[segment.LayerByteCount];
            segment.CopyLayerTo(1, bytes);
            return bytes;
        });
        var first = await Task.WhenAny(read, Task.Delay(200));
        Assert.NotSame(read, first); // CopyLayerTo must not return while writes are in flight
        gate.Land();
        byte[] landed = await read.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(12, landed[^1]);
    }

    [Fact]
    public void Clone_slice_and_dispose_wait_too()
    {
        var segment = Filled();
        var gate = new Gate();
        segment.SetPendingHostWrites(gate);
        gate.Land();
        using (var clone = segment.Clone()) Assert.Equal(segment.Count, clone.Count);
        using (var slice = segment.Slice(1, 2)) Assert.Equal(2, slice.Count);
        segment.Dispose();
        Assert.True(gate.Waits >= 3, $"only {gate.Waits} waits");
    }

    [Fact]
    public void A_failed_write_makes_reads_throw_but_dispose_still_frees()
    {
        var segment = Filled();
        var gate = new Gate();
        segment.SetPendingHostWrites(gate);
        gate.Fail(new IOException("PCIe went away"));
        var error = Assert.Throws<InvalidOperationException>(() => segment.CopyLayerTo(0, new byte[segment.LayerByteCount]));
        Assert.IsType<IOException>(error.InnerException);
        Assert.False(segment.IsDisposed);
        segment.Dispose(); // does not throw
        Assert.True(segment.IsDisposed);
    }
}
