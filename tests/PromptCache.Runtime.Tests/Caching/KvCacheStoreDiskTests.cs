using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Persistence;
using PromptCache.Runtime.Caching.Store;

namespace PromptCache.Runtime.Tests.Caching;

public sealed class KvCacheStoreDiskTests
{
    private static readonly long EntryBytes = TestBlobs.Module().PayloadBytes;
    private static readonly long FileBytes = EntryBytes + KvFileFormat.OverheadBytes(TestBlobs.Module());

    [Fact]
    public async Task Eviction_SpillsToDisk_AndAccessPromotesBack()
    {
        using var dir = new TempDirectory();
        await using var store = TestBlobs.Open(dir.Path, memoryBudget: 2 * EntryBytes);
        var write = new KvPutOptions { Persist = KvPersistMode.OnEviction };
        var keys = Enumerable.Range(0, 4).Select(i => TestBlobs.Key("k" + i)).ToArray();
        for (int i = 0; i < keys.Length; i++)
        {
            await store.PutAsync(keys[i], TestBlobs.Make(i), write);
        }

        await store.FlushAsync();
        Assert.Equal(2, store.GetCounters().Spills);
        Assert.Equal(KvTier.Disk, store.Locate(keys[0]));
        Assert.Equal(KvTier.Memory, store.Locate(keys[3]));
        Assert.Equal(2, dir.CacheFiles().Length);

        using (var lease = await store.TryGetAsync(keys[0]))
        {
            Assert.NotNull(lease);
            Assert.Equal(KvTier.Disk, lease.ServedFrom);
            TestBlobs.AssertPayload(lease, 0);
        }

        Assert.Equal(KvTier.Memory, store.Locate(keys[0]));
        using (var again = await store.TryGetAsync(keys[0]))
        {
            Assert.Equal(KvTier.Memory, again!.ServedFrom);
        }

        var counters = store.GetCounters();
        Assert.Equal(1, counters.DiskHits);
        Assert.Equal(EntryBytes, counters.BytesRead);
        Assert.Equal(2 * EntryBytes, counters.MemoryBytes);
    }

    [Fact]
    public async Task NeverPersisted_EntriesAreDropped_NotSpilled()
    {
        using var dir = new TempDirectory();
        await using var store = TestBlobs.Open(dir.Path, memoryBudget: EntryBytes);
        var never = new KvPutOptions { Persist = KvPersistMode.Never };
        await store.PutAsync(TestBlobs.Key("a"), TestBlobs.Make(1), never);
        await store.PutAsync(TestBlobs.Key("b"), TestBlobs.Make(2), never);
        await store.FlushAsync();
        Assert.Equal(KvTier.None, store.Locate(TestBlobs.Key("a")));
        Assert.Empty(dir.CacheFiles());
    }

    [Fact]
    public async Task Restart_WarmsFromDisk_WithZeroRecomputation()
    {
        using var dir = new TempDirectory();
        var keys = Enumerable.Range(0, 5).Select(i => TestBlobs.Key("module" + i)).ToArray();
        int computed = 0;
        ValueTask<IKvBlob> Compute(int seed)
        {
            Interlocked.Increment(ref computed);
            return ValueTask.FromResult<IKvBlob>(TestBlobs.Make(seed));
        }

        await using (var first = TestBlobs.Open(dir.Path))
        {
            for (int i = 0; i < keys.Length; i++)
            {
                int seed = i;
                using var lease = await first.GetOrAddAsync(keys[i], _ => Compute(seed));
            }
        }

        Assert.Equal(5, computed);

        // A new process: same directory, empty memory.
        await using var second = TestBlobs.Open(dir.Path);
        Assert.Equal(5, second.GetCounters().DiskEntries);
        for (int i = 0; i < keys.Length; i++)
        {
            int seed = i;
            using var lease = await second.GetOrAddAsync(keys[i], _ => Compute(seed));
            TestBlobs.AssertPayload(lease, seed);
        }

        Assert.Equal(5, computed); // Nothing recomputed.
        var counters = second.GetCounters();
        Assert.Equal(5, counters.DiskHits);
        Assert.Equal(0, counters.Misses);
        Assert.Equal(0, counters.Puts);
        Assert.Equal(5, counters.MemoryEntries);
    }

    [Fact]
    public async Task DiskBudget_DeletesTheLeastRecentlyUsedFiles_ButNotPinnedOnes()
    {
        using var dir = new TempDirectory();
        await using var store = TestBlobs.Open(dir.Path, memoryBudget: 0, diskBudget: 2 * FileBytes);
        var a = TestBlobs.Key("a");
        using var pin = store.Pin(a);
        for (int i = 0; i < 4; i++)
        {
            var key = i == 0 ? a : TestBlobs.Key("k" + i);
            var result = await store.PutAsync(key, TestBlobs.Make(i));

            // Memory budget 0: only the pinned key is listed in memory (pins win over budgets).
            Assert.Equal(new KvPutResult(i == 0 ? KvPutOutcome.Stored : KvPutOutcome.StoredOnDiskOnly, true), result);
        }

        var counters = store.GetCounters();
        Assert.Equal(2, counters.DiskEntries);
        Assert.Equal(2 * FileBytes, counters.DiskBytes);
        Assert.Equal(2, counters.DiskEvictions);
        Assert.True(File.Exists(Path.Combine(dir.Path, KvFileFormat.FileName(a))), "the pinned file must survive disk eviction");
        Assert.Equal(KvTier.Disk, store.Locate(TestBlobs.Key("k3")));
        Assert.Equal(2, dir.CacheFiles().Length);

        // Budget 0 in memory: a disk hit is still served (transiently), just not listed.
        using var lease = await store.TryGetAsync(TestBlobs.Key("k3"));
        Assert.Equal(KvTier.Disk, lease!.ServedFrom);
        TestBlobs.AssertPayload(lease, 3);
        Assert.Equal(1, store.GetCounters().MemoryEntries);
    }

    [Fact]
    public async Task Tenants_NeverShareEntries()
    {
        using var dir = new TempDirectory();
        await using var store = TestBlobs.Open(dir.Path);
        var tenantA = TestBlobs.Key("shared-module", tenant: "tenant-a");
        var tenantB = TestBlobs.Key("shared-module", tenant: "tenant-b");
        var shared = TestBlobs.Key("shared-module");
        await store.PutAsync(tenantA, TestBlobs.Make(1));

        Assert.Null(await store.TryGetAsync(tenantB));
        Assert.Null(await store.TryGetAsync(shared));
        await store.PutAsync(tenantB, TestBlobs.Make(2));
        using var a = await store.TryGetAsync(tenantA);
        using var b = await store.TryGetAsync(tenantB);
        TestBlobs.AssertPayload(a!, 1);
        TestBlobs.AssertPayload(b!, 2);
        Assert.Equal(2, dir.CacheFiles().Length);
    }

    [Fact]
    public async Task Remove_DeletesEveryTier_ButLeasesStayValid()
    {
        using var dir = new TempDirectory();
        await using var store = TestBlobs.Open(dir.Path);
        var key = TestBlobs.Key("a");
        await store.PutAsync(key, TestBlobs.Make(1));
        using var lease = await store.TryGetAsync(key);
        Assert.True(store.Remove(key));
        Assert.False(store.Remove(key));
        Assert.Equal(KvTier.None, store.Locate(key));
        Assert.Empty(dir.CacheFiles());
        TestBlobs.AssertPayload(lease!, 1);
        Assert.Equal(EntryBytes, store.GetCounters().RetainedBytes);
        lease!.Dispose();
        Assert.Equal(0, store.GetCounters().RetainedBytes);
    }

    [Fact]
    public async Task BackgroundSaves_LandBeforeDisposeReturns_AndSurviveARestart()
    {
        using var dir = new TempDirectory();
        var key = TestBlobs.Key("a");
        await using (var store = TestBlobs.Open(dir.Path))
        {
            var result = await store.PutAsync(key, TestBlobs.Make(1), new KvPutOptions { Persist = KvPersistMode.Background });
            Assert.Equal(new KvPutResult(KvPutOutcome.Stored, Persisted: false), result);
        }

        await using var reopened = TestBlobs.Open(dir.Path);
        using var lease = await reopened.TryGetAsync(key);
        TestBlobs.AssertPayload(lease!, 1);
    }

    [Fact]
    public async Task FailedWrite_IsReported_AndTheEntryStaysInMemory()
    {
        using var dir = new TempDirectory();
        var notices = new List<KvCacheNotice>();
        await using var store = TestBlobs.Open(dir.Path, notices: notices);
        Directory.Delete(dir.Path, recursive: true); // The disk goes away under the store.

        var key = TestBlobs.Key("a");
        var result = await store.PutAsync(key, TestBlobs.Make(1));
        Assert.Equal(new KvPutResult(KvPutOutcome.Stored, Persisted: false), result);
        Assert.Equal(1, store.GetCounters().WriteFailures);
        Assert.Equal(KvNoticeKind.WriteFailed, Assert.Single(notices).Kind);
        using var lease = await store.TryGetAsync(key);
        TestBlobs.AssertPayload(lease!, 1);
    }

    [Fact]
    public async Task LargeEntry_OnHugePageBuffers_RoundTripsThroughBothTiers()
    {
        // 5.8 MB: above the 4 MiB threshold where host buffers become 2 MiB-aligned huge-page candidates.
        var metadata = KvEntryMetadata.ForModule(KvElementType.F16, 22, 4, 64, 0, 256, "large");
        using var dir = new TempDirectory();
        var key = TestBlobs.Key("large");
        await using (var store = TestBlobs.Open(dir.Path, memoryBudget: 1L << 30, diskBudget: 1L << 30))
        {
            await store.PutAsync(key, TestBlobs.Make(42, metadata));
            using var lease = await store.TryGetAsync(key);
            TestBlobs.AssertPayload(lease!, 42);
        }

        await using var reopened = TestBlobs.Open(dir.Path, memoryBudget: 1L << 30, diskBudget: 1L << 30);
        using var promoted = await reopened.TryGetAsync(key);
        Assert.Equal(KvTier.Disk, promoted!.ServedFrom);
        TestBlobs.AssertPayload(promoted, 42);
    }
}
