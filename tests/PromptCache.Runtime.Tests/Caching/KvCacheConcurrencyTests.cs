using System.Diagnostics;
using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Keys;
using PromptCache.Runtime.Caching.Store;

namespace PromptCache.Runtime.Tests.Caching;

public sealed class KvCacheConcurrencyTests
{
    private static readonly long EntryBytes = TestBlobs.Module().PayloadBytes;

    [Fact]
    public async Task Eviction_NeverFreesALeasedEntry()
    {
        var allocator = new TrackingAllocator();
        await using var store = TestBlobs.Open(null, memoryBudget: EntryBytes, allocator: allocator);
        var key = TestBlobs.Key("a");
        await store.PutAsync(key, TestBlobs.Make(1));
        var lease = await store.TryGetAsync(key);

        await store.PutAsync(TestBlobs.Key("b"), TestBlobs.Make(2)); // Evicts a from the index.
        Assert.Equal(KvTier.None, store.Locate(key));
        Assert.Equal(2, allocator.Live); // a's buffer is still alive for the lease.
        Assert.Equal(EntryBytes, store.GetCounters().RetainedBytes);
        TestBlobs.AssertPayload(lease!, 1);

        lease!.Dispose();
        Assert.Equal(1, allocator.Live);
        Assert.Equal(0, store.GetCounters().RetainedBytes);
    }

    [Fact]
    public async Task ConcurrentGetOrAdd_OfOneKey_ComputesOnce()
    {
        await using var store = TestBlobs.Open(null);
        var key = TestBlobs.Key("hot");
        int computed = 0;
        var gate = new TaskCompletionSource();
        var callers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            using var lease = await store.GetOrAddAsync(key, async _ =>
            {
                Interlocked.Increment(ref computed);
                await gate.Task;
                return TestBlobs.Make(9);
            });
            return TestBlobs.Matches(lease, 9);
        })).ToArray();

        await Task.Delay(50);
        gate.SetResult();
        Assert.All(await Task.WhenAll(callers), Assert.True);
        Assert.Equal(1, computed);
    }

    [Fact]
    public async Task ConcurrentPuts_OfOneKey_CopyOnce()
    {
        await using var store = TestBlobs.Open(null);
        var key = TestBlobs.Key("hot");
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(async () => await store.PutAsync(key, TestBlobs.Make(4)))));
        Assert.Equal(1, results.Count(r => r.Outcome == KvPutOutcome.Stored));
        Assert.Equal(1, store.GetCounters().Puts);
        Assert.Equal(11, store.GetCounters().PutsDeduplicated);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stress_ManyReadersAndWriters_UnderEvictionAndSpill_SeeNoTornReads(bool stackedOnAHostTier)
    {
        using var dir = new TempDirectory();
        var allocator = new TrackingAllocator();
        var notices = new List<KvCacheNotice>();

        // Room for 6 of 24 keys in memory, so readers constantly race eviction, spill and promotion.
        // Stacked: a device-like store (4 keys) above the host store, so spills and promotions cross two stores.
        await using var host = TestBlobs.Open(dir.Path, memoryBudget: 6 * EntryBytes, diskBudget: 64 * EntryBytes, notices: notices, allocator: allocator);
        var device = new FakeDeviceAllocator();
        await using var top = stackedOnAHostTier
            ? KvCacheStore.Open(new KvCacheStoreOptions { MemoryBudgetBytes = 4 * EntryBytes, MemoryAllocator = device, LowerTier = host })
            : null;
        var store = top ?? host;
        const int Keys = 24;
        var keys = Enumerable.Range(0, Keys).Select(i => TestBlobs.Key("stress" + i)).ToArray();
        var sessions = Enumerable.Range(0, 4).Select(i => new KvSessionKeyParts("m", "t", KvElementType.F16, "s" + i).ToKey()).ToArray();
        var sessionVersion = new int[sessions.Length];
        int failures = 0;
        long reads = 0;
        var stopwatch = Stopwatch.StartNew();
        var until = TimeSpan.FromSeconds(1.5);

        // Time-boxed, but never vacuous: on a slow or busy machine each worker still does this much.
        const int MinimumPerWorker = 25;

        async Task Reader(int id)
        {
            var random = new Random(id);
            for (int done = 0; stopwatch.Elapsed < until || done < MinimumPerWorker; done++)
            {
                int i = random.Next(Keys);
                using var lease = await store.GetOrAddAsync(keys[i], _ => ValueTask.FromResult<IKvBlob>(TestBlobs.Make(i)),
                    new KvPutOptions { Persist = (i % 3) switch { 0 => KvPersistMode.Durable, 1 => KvPersistMode.Background, _ => KvPersistMode.OnEviction } });
                if (!TestBlobs.Matches(lease, i))
                {
                    Interlocked.Increment(ref failures);
                }

                Interlocked.Increment(ref reads);
            }
        }

        async Task SessionWriter(int id)
        {
            // Each session's seed encodes its version; a reader must see one whole version, never a mix.
            var random = new Random(100 + id);
            for (int done = 0; stopwatch.Elapsed < until || done < MinimumPerWorker; done++)
            {
                int s = random.Next(sessions.Length);
                int version = Interlocked.Increment(ref sessionVersion[s]);
                await store.PutAsync(sessions[s], TestBlobs.Make((s * 100_000) + version), KvPutOptions.Session);
                using var lease = await store.TryGetAsync(sessions[s]);
                if (lease is not null && !Enumerable.Range(1, Volatile.Read(ref sessionVersion[s])).Any(v => TestBlobs.Matches(lease, (s * 100_000) + v)))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }

        var workers = Enumerable.Range(0, 8).Select(i => Task.Run(() => Reader(i)))
            .Concat(Enumerable.Range(0, 3).Select(i => Task.Run(() => SessionWriter(i))))
            .ToArray();
        await Task.WhenAll(workers);
        await store.FlushAsync();
        await host.FlushAsync();

        Assert.Equal(0, failures);
        Assert.True(reads >= 8 * MinimumPerWorker, $"only {reads} reads ran");
        if (top is not null)
        {
            var upper = top.GetCounters();
            Assert.True(upper.LowerHits > 0);
            Assert.Equal(0, upper.RetainedBytes);
            Assert.Equal(upper.MemoryEntries, device.Live);
        }

        var counters = host.GetCounters();
        Assert.Equal(0, counters.CorruptFilesDetected);
        Assert.DoesNotContain(notices, n => n.Kind != KvNoticeKind.StaleTempFileRemoved);
        Assert.True(counters.MemoryEvictions > 0);
        Assert.True(counters.MemoryBytes <= 6 * EntryBytes);
        Assert.Equal(0, counters.RetainedBytes); // Every lease is disposed, so nothing is held outside the index.
        Assert.Equal(counters.MemoryEntries, allocator.Live); // And no buffer leaked.
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public async Task Leases_OutliveTheStore_AndFreeOnTheirOwnDispose()
    {
        var allocator = new TrackingAllocator();
        var store = TestBlobs.Open(null, allocator: allocator);
        var key = TestBlobs.Key("a");
        await store.PutAsync(key, TestBlobs.Make(1));
        var lease = await store.TryGetAsync(key);
        await store.DisposeAsync();

        Assert.Equal(1, allocator.Live);
        TestBlobs.AssertPayload(lease!, 1);
        lease!.Dispose();
        Assert.Equal(0, allocator.Live);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.TryGetAsync(key));
    }

    [Fact]
    public async Task FailingCompute_ReleasesItsSlot_SoTheNextCallerComputes()
    {
        await using var store = TestBlobs.Open(null);
        var key = TestBlobs.Key("a");
        await Assert.ThrowsAsync<InvalidDataException>(async () =>
            await store.GetOrAddAsync(key, _ => throw new InvalidDataException("model failed")));

        using var lease = await store.GetOrAddAsync(key, _ => ValueTask.FromResult<IKvBlob>(TestBlobs.Make(2)));
        TestBlobs.AssertPayload(lease, 2);
        Assert.Equal(KvTier.None, lease.ServedFrom); // Computed by this call.
    }

    [Fact]
    public async Task CancelledCalls_Throw_AndLeakNothing()
    {
        using var dir = new TempDirectory();
        var allocator = new TrackingAllocator();
        var key = TestBlobs.Key("a");
        await using (var writer = TestBlobs.Open(dir.Path))
        {
            await writer.PutAsync(key, TestBlobs.Make(1));
        }

        await using var store = TestBlobs.Open(dir.Path, allocator: allocator);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.TryGetAsync(key, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.PutAsync(TestBlobs.Key("b"), TestBlobs.Make(2), cancellationToken: cancelled.Token));

        // A reader that gives up while a shared disk load runs: the load still lands for others.
        using var soon = new CancellationTokenSource();
        var waiting = store.TryGetAsync(key, soon.Token).AsTask();
        soon.Cancel();
        try
        {
            (await waiting)?.Dispose();
        }
        catch (OperationCanceledException)
        {
            // Either outcome is fine; what matters is that nothing leaks.
        }

        await store.FlushAsync();
        using (var lease = await store.TryGetAsync(key))
        {
            TestBlobs.AssertPayload(lease!, 1);
        }

        Assert.Equal(0, store.GetCounters().RetainedBytes);
        Assert.Equal(store.GetCounters().MemoryEntries, allocator.Live);
    }
}
