using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Store;

namespace PromptCache.Runtime.Tests.Caching;

public sealed class KvCacheStoreMemoryTests
{
    // Each test entry: 3 layers × 2 × 16 tokens × 2 heads × 8 dims × 2 bytes = 3072 bytes.
    private static readonly long EntryBytes = TestBlobs.Module().PayloadBytes;

    [Fact]
    public async Task Lru_EvictsTheLeastRecentlyUsed_UnderTheBudget()
    {
        await using var store = TestBlobs.Open(null, memoryBudget: 3 * EntryBytes);
        var a = TestBlobs.Key("a");
        var b = TestBlobs.Key("b");
        var c = TestBlobs.Key("c");
        var d = TestBlobs.Key("d");
        await store.PutAsync(a, TestBlobs.Make(1));
        await store.PutAsync(b, TestBlobs.Make(2));
        await store.PutAsync(c, TestBlobs.Make(3));
        using (await store.TryGetAsync(a))
        {
            // Touch a: b is now the least recently used.
        }

        await store.PutAsync(d, TestBlobs.Make(4));
        Assert.Equal(KvTier.Memory, store.Locate(a));
        Assert.Equal(KvTier.None, store.Locate(b));
        Assert.Equal(KvTier.Memory, store.Locate(c));
        Assert.Equal(KvTier.Memory, store.Locate(d));
        var counters = store.GetCounters();
        Assert.Equal(1, counters.MemoryEvictions);
        Assert.Equal(3 * EntryBytes, counters.MemoryBytes);
        Assert.Equal(3, counters.MemoryEntries);
        Assert.Null(await store.TryGetAsync(b));
        Assert.Equal(1, store.GetCounters().Misses);
    }

    [Fact]
    public async Task Pins_AreNeverEvicted_AndUnpinningMakesThemEvictable()
    {
        await using var store = TestBlobs.Open(null, memoryBudget: 2 * EntryBytes);
        var a = TestBlobs.Key("a");
        var b = TestBlobs.Key("b");
        var pin = store.Pin(a); // Pinned before it exists.
        await store.PutAsync(a, TestBlobs.Make(1));
        await store.PutAsync(b, TestBlobs.Make(2));
        for (int i = 0; i < 5; i++)
        {
            await store.PutAsync(TestBlobs.Key("filler" + i), TestBlobs.Make(10 + i));
        }

        Assert.Equal(KvTier.Memory, store.Locate(a));
        Assert.Equal(KvTier.None, store.Locate(b));
        Assert.Equal(1, store.GetCounters().PinnedKeys);

        pin.Dispose();
        pin.Dispose(); // Idempotent.
        Assert.Equal(0, store.GetCounters().PinnedKeys);
        await store.PutAsync(TestBlobs.Key("x"), TestBlobs.Make(20));
        await store.PutAsync(TestBlobs.Key("y"), TestBlobs.Make(21));
        Assert.Equal(KvTier.None, store.Locate(a));
    }

    [Fact]
    public async Task AllPinned_RejectsAnUnpinnedNewcomer_ButAdmitsAPinnedOneOverBudget()
    {
        var notices = new List<KvCacheNotice>();
        await using var store = TestBlobs.Open(null, memoryBudget: EntryBytes, notices: notices);
        var a = TestBlobs.Key("a");
        using var pinA = store.Pin(a);
        await store.PutAsync(a, TestBlobs.Make(1));

        var rejected = await store.PutAsync(TestBlobs.Key("b"), TestBlobs.Make(2));
        Assert.Equal(KvPutOutcome.Rejected, rejected.Outcome);
        Assert.Equal(KvNoticeKind.Rejected, Assert.Single(notices).Kind);

        var c = TestBlobs.Key("c");
        using var pinC = store.Pin(c);
        Assert.Equal(KvPutOutcome.Stored, (await store.PutAsync(c, TestBlobs.Make(3))).Outcome);
        Assert.Equal(2 * EntryBytes, store.GetCounters().MemoryBytes);
        Assert.Equal(0, store.GetCounters().RetainedBytes);
    }

    [Fact]
    public async Task Put_OfAPresentKey_IsANoOp_UnlessReplacing()
    {
        await using var store = TestBlobs.Open(null);
        var key = TestBlobs.Key("a");
        Assert.Equal(KvPutOutcome.Stored, (await store.PutAsync(key, TestBlobs.Make(1))).Outcome);
        Assert.Equal(KvPutOutcome.AlreadyPresent, (await store.PutAsync(key, TestBlobs.Make(2))).Outcome);
        using (var lease = await store.TryGetAsync(key))
        {
            TestBlobs.AssertPayload(lease!, 1);
        }

        await store.PutAsync(key, TestBlobs.Make(3), new KvPutOptions { Replace = true, Persist = KvPersistMode.Never });
        using (var lease = await store.TryGetAsync(key))
        {
            TestBlobs.AssertPayload(lease!, 3);
        }

        Assert.Equal(1, store.GetCounters().PutsDeduplicated);
    }

    [Fact]
    public async Task Lease_ExposesLayersInPlace_WithTheDocumentedLayout()
    {
        await using var store = TestBlobs.Open(null);
        var key = TestBlobs.Key("a");
        await store.PutAsync(key, TestBlobs.Make(5));
        using var lease = await store.TryGetAsync(key);
        Assert.NotNull(lease);
        Assert.Equal(KvTier.Memory, lease.ServedFrom);
        Assert.True(lease.IsHostResident);
        byte[] expected = TestBlobs.Payload(5, lease.Metadata.PayloadBytes);
        Assert.True(lease.GetLayer(2).SequenceEqual(expected.AsSpan((int)(2 * lease.Metadata.LayerBytes), (int)lease.Metadata.LayerBytes)));
        Assert.Throws<ArgumentOutOfRangeException>(() => lease.GetLayer(3).Length);
        lease.Dispose();
        Assert.Throws<ObjectDisposedException>(() => lease.GetLayer(0).Length);
    }

    [Fact]
    public void Metadata_RejectsInconsistentShapes_WithNamedErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => new KvEntryMetadata(KvEntryKind.Module, KvElementType.F32, 2, 2, 4, 10, [new KvPositionRun(0, 9)], true));
        Assert.Contains("cover 9 tokens but token count is 10", e.Message);
        Assert.Throws<ArgumentException>(() => KvEntryMetadata.ForModule(KvElementType.F32, 0, 2, 4, 0, 4));
        Assert.Throws<ArgumentException>(() => new KvArrayBlob(TestBlobs.Module(), new byte[5]));
    }
}
