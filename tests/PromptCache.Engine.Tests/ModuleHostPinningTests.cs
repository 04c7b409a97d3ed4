using PromptCache.Engine.Caching;
using PromptCache.Engine.Synthetic;
using PromptCache.Runtime.Generation;

namespace PromptCache.Engine.Tests;

/// <summary>
/// On a GPU backend the engine page-locks the host bytes of its warmed modules (PinModuleHostMemory), so a module
/// whose device copy was dropped loads back asynchronously; the pins live exactly as long as the modules.
/// </summary>
public sealed class ModuleHostPinningTests
{
    private static readonly GenerationOptions Two = new() { MaxTokens = 2, IgnoreEos = true };

    [Fact]
    public async Task Each_warmed_module_is_pinned_in_one_range_of_its_bytes_until_the_engine_is_disposed()
    {
        var backend = new PinRecorder();
        string dir = TestSchemas.TempDirectory();
        var options = new PromptCacheEngineOptions { DiskCacheDirectory = dir };
        long computedBytes;
        await using (var engine = PromptCacheEngine.CreateSynthetic(SyntheticShape.Tiny, seed: 7, options, backend))
        {
            await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
            var counters = engine.GetCounters();
            Assert.True(counters.SegmentsComputed > 0);
            // One registration per module segment, each the whole entry: layers x (K and V rows of every token).
            Assert.Equal(counters.SegmentsComputed, backend.Pins.Count);
            var config = engine.Model.Config;
            long bytesPerToken = 2L * config.LayerCount * config.KvHeadCount * config.HeadDim * sizeof(float);
            Assert.All(backend.Pins, p => Assert.Equal(0, p.Bytes % bytesPerToken));
            Assert.All(backend.Pins, p => Assert.False(p.Released));
            computedBytes = backend.Pins.Sum(p => p.Bytes);

            await engine.RunAsync(Requests.TripCity("3", "Lisbon", "Plan the days."), Two);
            Assert.All(backend.Pins, p => Assert.False(p.Released)); // requests borrow the modules, they do not re-pin them
            Assert.Equal(counters.SegmentsComputed, backend.Pins.Count);
            await engine.Store.FlushAsync();
        }
        Assert.All(backend.Pins, p => Assert.True(p.Released, "disposing the engine must undo every pin"));

        // Warmed from the disk tier, the same modules are pinned as well.
        var fromDisk = new PinRecorder();
        await using (var engine = PromptCacheEngine.CreateSynthetic(SyntheticShape.Tiny, seed: 7, options, fromDisk))
        {
            await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
            Assert.Equal(0, engine.GetCounters().SegmentsComputed);
            Assert.Equal(computedBytes, fromDisk.Pins.Sum(p => p.Bytes));
        }
        Assert.All(fromDisk.Pins, p => Assert.True(p.Released));
    }

    [Fact]
    public async Task Nothing_is_pinned_when_the_option_is_off_or_on_the_cpu_backend()
    {
        var backend = new PinRecorder();
        await using (var engine = PromptCacheEngine.CreateSynthetic(SyntheticShape.Tiny, seed: 7, new PromptCacheEngineOptions { PinModuleHostMemory = false }, backend))
        {
            await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
            Assert.Empty(backend.Pins);
            Assert.Equal(0, backend.Requests);
        }
        // The CPU backend reads host memory in place; the engine does not ask it.
        await using var cpu = PromptCacheEngine.CreateSynthetic(SyntheticShape.Tiny, seed: 7);
        await cpu.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
    }

    [Fact]
    public async Task A_declined_pin_is_logged_with_the_module_and_the_engine_still_answers()
    {
        var backend = new PinRecorder { Decline = true };
        var log = new List<string>();
        var options = new PromptCacheEngineOptions { Log = m => { lock (log) log.Add(m); } };
        await using var engine = PromptCacheEngine.CreateSynthetic(SyntheticShape.Tiny, seed: 7, options, backend);
        await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        Assert.True(backend.Requests > 0);
        Assert.Contains(log, line => line.Contains("could not page-lock", StringComparison.Ordinal) && line.Contains("'trip:", StringComparison.Ordinal));
        var result = await engine.RunAsync(Requests.TripCity("3", "Lisbon", "Plan the days."), Two);
        Assert.Equal(2, result.TokenIds.Count);
    }

    [Fact]
    public unsafe void Layers_apart_are_pinned_one_by_one_and_a_refusal_releases_what_was_taken()
    {
        var backend = new PinRecorder();
        nint[] apart = [0x10000, 0x30000, 0x50000];
        using (var pins = HostPins.TryPin(backend, apart, 0x1000))
        {
            Assert.NotNull(pins);
            Assert.Equal(apart, backend.Pins.Select(p => p.Address));
            Assert.All(backend.Pins, p => Assert.Equal(0x1000, p.Bytes));
        }
        Assert.All(backend.Pins, p => Assert.True(p.Released));

        backend.Pins.Clear();
        nint[] together = [0x10000, 0x11000, 0x12000];
        using (HostPins.TryPin(backend, together, 0x1000)) Assert.Equal([(0x10000, 0x3000L)], backend.Pins.Select(p => (p.Address, p.Bytes)));

        backend.Pins.Clear();
        backend.DeclineAfter = 2;
        Assert.Null(HostPins.TryPin(backend, apart, 0x1000));
        Assert.Equal(2, backend.Pins.Count);
        Assert.All(backend.Pins, p => Assert.True(p.Released, "a partial pin must not be left behind"));
    }

    // The CPU backend, recording the pins the engine asks for (what the CUDA backend does with cuMemHostRegister).
    private sealed unsafe class PinRecorder : CpuForwardingBackend
    {
        public sealed class Pin(nint address, long bytes) : IDisposable
        {
            public nint Address { get; } = address;
            public long Bytes { get; } = bytes;
            public bool Released { get; private set; }
            public void Dispose() => Released = true;
        }

        public List<Pin> Pins { get; } = [];
        public int Requests { get; private set; }
        public bool Decline { get; init; }
        public int DeclineAfter { get; set; } = int.MaxValue;

        public override string Name => "pin-recorder";

        public override IDisposable? PinHostMemory(void* address, long bytes)
        {
            lock (Pins)
            {
                Requests++;
                if (Decline || Pins.Count >= DeclineAfter) return null;
                var pin = new Pin((nint)address, bytes);
                Pins.Add(pin);
                return pin;
            }
        }
    }
}
