using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Store;

namespace PromptCache.Runtime.Tests.Caching;

/// <summary>A device-like store stacked above a host store with a disk tier.</summary>
public sealed class KvTierStackingTests
{
    private static readonly long EntryBytes = TestBlobs.Module().PayloadBytes;

    private static KvCacheStore Device(KvCacheStore host, FakeDeviceAllocator allocator, long budget = 2) =>
        KvCacheStore.Open(new KvCacheStoreOptions { MemoryBudgetBytes = budget * EntryBytes, MemoryAllocator = allocator, LowerTier = host });

    [Fact]
    public async Task DurablePut_GoesThroughTheHostToDisk_AndDeviceLeasesCopyOut()
    {
        using var dir = new TempDirectory();
        var allocator = new FakeDeviceAllocator();
        await using var host = TestBlobs.Open(dir.Path);
        await using var device = Device(host, allocator);
        var key = TestBlobs.Key("a");

        var result = await device.PutAsync(key, TestBlobs.Make(1));
        Assert.Equal(new KvPutResult(KvPutOutcome.Stored, Persisted: true), result);
        Assert.Equal(KvTier.Memory, device.Locate(key));
        Assert.Equal(KvTier.Memory, host.Locate(key));
        Assert.Single(dir.CacheFiles());

        using var lease = await device.TryGetAsync(key);
        Assert.False(lease!.IsHostResident);
        Assert.Throws<NotSupportedException>(() => lease.GetLayer(0).Length);
        TestBlobs.AssertPayload(lease, 1); // Through CopyLayerTo.
    }

    [Fact]
    public async Task DeviceEviction_SpillsToTheHost_AndAMissPromotesBackUp()
    {
        var allocator = new FakeDeviceAllocator();
        await using var host = TestBlobs.Open(null, memoryBudget: 16 * EntryBytes);
        await using var device = Device(host, allocator, budget: 2);
        var keys = Enumerable.Range(0, 4).Select(i => TestBlobs.Key("k" + i)).ToArray();
        var writeBack = new KvPutOptions { Persist = KvPersistMode.OnEviction };
        for (int i = 0; i < keys.Length; i++)
        {
            await device.PutAsync(keys[i], TestBlobs.Make(i), writeBack);
        }

        await device.FlushAsync();
        Assert.Equal(2, device.GetCounters().Spills);
        Assert.Equal(KvTier.Lower, device.Locate(keys[0]));
        Assert.Equal(KvTier.Memory, host.Locate(keys[0]));
        Assert.Equal(KvTier.None, host.Locate(keys[3])); // Write-back: only evicted entries went down.

        using (var lease = await device.TryGetAsync(keys[0]))
        {
            Assert.Equal(KvTier.Lower, lease!.ServedFrom);
            TestBlobs.AssertPayload(lease, 0);
        }

        Assert.Equal(KvTier.Memory, device.Locate(keys[0]));
        await device.FlushAsync(); // The promotion evicted another entry; its spill holds its buffer until done.
        var counters = device.GetCounters();
        Assert.Equal(1, counters.LowerHits);
        Assert.Equal(2, counters.MemoryEntries);
        Assert.Equal(counters.MemoryEntries, allocator.Live);
    }

    [Fact]
    public async Task Restart_WarmsTheDeviceFromDisk_ThroughTheHost()
    {
        using var dir = new TempDirectory();
        var key = TestBlobs.Key("a");
        await using (var host = TestBlobs.Open(dir.Path))
        await using (var device = Device(host, new FakeDeviceAllocator()))
        {
            await device.PutAsync(key, TestBlobs.Make(5));
        }

        await using var host2 = TestBlobs.Open(dir.Path);
        await using var device2 = Device(host2, new FakeDeviceAllocator());
        Assert.Equal(KvTier.Lower, device2.Locate(key));
        using var lease = await device2.TryGetAsync(key);
        Assert.Equal(KvTier.Lower, lease!.ServedFrom);
        TestBlobs.AssertPayload(lease, 5);
        Assert.Equal(1, host2.GetCounters().DiskHits);
        Assert.Equal(1, device2.GetCounters().LowerHits);
        Assert.Null(await device2.TryGetAsync(TestBlobs.Key("absent")));
        Assert.Equal(1, device2.GetCounters().LowerMisses);
    }

    [Fact]
    public async Task SessionReplace_AtTheTop_RemovesTheStaleVersionBelow()
    {
        var allocator = new FakeDeviceAllocator();
        await using var host = TestBlobs.Open(null, memoryBudget: 16 * EntryBytes);
        await using var device = Device(host, allocator, budget: 1);
        var metadata = KvEntryMetadata.ForSession(KvElementType.F16, 3, 2, 8, 16);
        var session = TestBlobs.Key("session");
        var other = TestBlobs.Key("other");
        var turn = new KvPutOptions { Persist = KvPersistMode.OnEviction, Replace = true };

        await device.PutAsync(session, TestBlobs.Make(1, metadata), turn);
        await device.PutAsync(other, TestBlobs.Make(9), turn); // Spills turn 1 to the host.
        await device.FlushAsync();
        Assert.Equal(KvTier.Memory, host.Locate(session));

        await device.PutAsync(session, TestBlobs.Make(2, metadata), turn); // Turn 2 at the top.
        await device.FlushAsync();
        Assert.Null(await host.TryGetAsync(session)); // Turn 1 was removed below; turn 2 lives at the top.

        using var top = await device.TryGetAsync(session);
        TestBlobs.AssertPayload(top!, 2);
        Assert.Throws<ArgumentException>(() => KvCacheStore.Open(new KvCacheStoreOptions { LowerTier = host, DiskDirectory = "/tmp/x" }));
    }
}
