using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Keys;
using PromptCache.Runtime.Caching.Memory;
using PromptCache.Runtime.Caching.Store;

namespace PromptCache.Runtime.Tests.Caching;

/// <summary>A unique temp directory, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pc-cache-tests-" + Guid.NewGuid().ToString("N"));

    public string[] CacheFiles() => Directory.GetFiles(Path, "*.kv");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort in tests.
        }
    }
}

/// <summary>Deterministic payloads: every byte derives from a seed, so any torn or foreign read shows.</summary>
internal static class TestBlobs
{
    public static KvEntryMetadata Module(int tokens = 16, int layers = 3, int kvHeads = 2, int headDim = 8, KvElementType type = KvElementType.F16) =>
        KvEntryMetadata.ForModule(type, layers, kvHeads, headDim, firstPosition: 10, tokens, "test/module");

    public static KvArrayBlob Make(int seed, KvEntryMetadata? metadata = null)
    {
        metadata ??= Module();
        return new KvArrayBlob(metadata, Payload(seed, metadata.PayloadBytes));
    }

    public static byte[] Payload(int seed, long length)
    {
        byte[] bytes = new byte[length];
        uint state = (uint)seed * 2654435761u + 1;
        for (long i = 0; i < length; i++)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            bytes[i] = (byte)state;
        }

        return bytes;
    }

    public static KvCacheKey Key(string name, string? tenant = null) =>
        new KvModuleKeyParts("model-a", "tok-a", "schema-1", name, "", KvElementType.F16, tenant).ToKey();

    /// <summary>Asserts the blob holds exactly the payload of <paramref name="seed"/>.</summary>
    public static void AssertPayload(IKvBlob blob, int seed)
    {
        Assert.True(Matches(blob, seed), $"payload of {blob.Metadata} does not match seed {seed}");
    }

    public static bool Matches(IKvBlob blob, int seed)
    {
        var metadata = blob.Metadata;
        byte[] expected = Payload(seed, metadata.PayloadBytes);
        byte[] layer = new byte[metadata.LayerBytes];
        for (int l = 0; l < metadata.LayerCount; l++)
        {
            blob.CopyLayerTo(l, layer);
            if (!layer.AsSpan().SequenceEqual(expected.AsSpan((int)metadata.LayerOffset(l), (int)metadata.LayerBytes)))
            {
                return false;
            }
        }

        return true;
    }

    public static KvCacheStore Open(string? directory, long memoryBudget = 1 << 20, long diskBudget = 1 << 24, List<KvCacheNotice>? notices = null, IKvMemoryAllocator? allocator = null) =>
        KvCacheStore.Open(new KvCacheStoreOptions
        {
            DiskDirectory = directory,
            MemoryBudgetBytes = memoryBudget,
            DiskBudgetBytes = diskBudget,
            MemoryAllocator = allocator ?? HostKvAllocator.Instance,
            OnNotice = notices is null ? null : n => { lock (notices) { notices.Add(n); } },
        });
}

/// <summary>Host allocator that records every buffer it hands out, so tests can see exactly when memory is freed.</summary>
internal sealed class TrackingAllocator : IKvMemoryAllocator
{
    private int _live;

    public string TierName => "tracked-host";

    public int Live => Volatile.Read(ref _live);

    public int Allocations { get; private set; }

    public IKvResidentBuffer Allocate(KvEntryMetadata metadata)
    {
        Interlocked.Increment(ref _live);
        Allocations++;
        return new Tracked(HostKvAllocator.Instance.Allocate(metadata), this);
    }

    private sealed class Tracked(IKvResidentBuffer inner, TrackingAllocator owner) : IKvResidentBuffer, IKvHostBlob
    {
        private int _disposed;

        public KvEntryMetadata Metadata => inner.Metadata;

        public long SizeInBytes => inner.SizeInBytes;

        public ReadOnlySpan<byte> GetLayer(int layer)
        {
            Assert.True(Volatile.Read(ref _disposed) == 0, "read of a freed cache buffer");
            return ((IKvHostBlob)inner).GetLayer(layer);
        }

        public void CopyLayerTo(int layer, Span<byte> destination) => GetLayer(layer).CopyTo(destination);

        public void WriteLayer(int layer, ReadOnlySpan<byte> source) => inner.WriteLayer(layer, source);

        public void Dispose()
        {
            Assert.Equal(0, Interlocked.Exchange(ref _disposed, 1));
            Interlocked.Decrement(ref owner._live);
            inner.Dispose();
        }
    }
}

/// <summary>
/// Stands in for device memory: buffers are not host-readable in place (no <see cref="IKvHostBlob"/>),
/// so every fill and read goes through WriteLayer / CopyLayerTo as a CUDA allocator's would.
/// </summary>
internal sealed class FakeDeviceAllocator : IKvMemoryAllocator
{
    private int _live;

    public string TierName => "fake-device";

    public int Live => Volatile.Read(ref _live);

    public IKvResidentBuffer Allocate(KvEntryMetadata metadata)
    {
        Interlocked.Increment(ref _live);
        return new DeviceBuffer(metadata, this);
    }

    private sealed class DeviceBuffer(KvEntryMetadata metadata, FakeDeviceAllocator owner) : IKvResidentBuffer
    {
        private byte[]? _memory = new byte[metadata.PayloadBytes];

        public KvEntryMetadata Metadata => metadata;

        public long SizeInBytes => metadata.PayloadBytes;

        public void CopyLayerTo(int layer, Span<byte> destination) =>
            Memory.AsSpan((int)metadata.LayerOffset(layer), (int)metadata.LayerBytes).CopyTo(destination);

        public void WriteLayer(int layer, ReadOnlySpan<byte> source)
        {
            Assert.Equal(metadata.LayerBytes, source.Length);
            source.CopyTo(Memory.AsSpan((int)metadata.LayerOffset(layer)));
        }

        public void Dispose()
        {
            Assert.NotNull(Interlocked.Exchange(ref _memory, null));
            Interlocked.Decrement(ref owner._live);
        }

        private byte[] Memory => _memory ?? throw new ObjectDisposedException(nameof(DeviceBuffer), "read of a freed device buffer");
    }
}
