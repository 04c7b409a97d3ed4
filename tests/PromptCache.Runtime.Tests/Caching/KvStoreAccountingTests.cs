using Xunit.Abstractions;
using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Persistence;
using PromptCache.Runtime.Caching.Store;

namespace PromptCache.Runtime.Tests.Caching;

[CollectionDefinition(nameof(MemoryMeasurement), DisableParallelization = true)]
public sealed class MemoryMeasurement;

// Heap measurements must not overlap other tests' allocations.
[Collection(nameof(MemoryMeasurement))]
public sealed class KvStoreAccountingTests(ITestOutputHelper output)
{
    [Fact]
    public void BytesPerToken_IsTheFormula_AndFileOverheadIsFixed()
    {
        // TinyLlama-1.1B shape: 22 layers, 4 kv heads, head dim 64, f16.
        var small = KvEntryMetadata.ForModule(KvElementType.F16, 22, 4, 64, 0, 100);
        var large = KvEntryMetadata.ForModule(KvElementType.F16, 22, 4, 64, 0, 4000);
        Assert.Equal(2 * 22 * 4 * 64 * 2, KvStoreAccounting.PayloadBytesPerToken(small));
        Assert.Equal(4000L * 2 * 22 * 4 * 64 * 2, large.PayloadBytes);
        Assert.Equal(KvStoreAccounting.FileOverheadBytes(small), KvStoreAccounting.FileOverheadBytes(large));
        Assert.Equal(large.PayloadBytes + KvStoreAccounting.FileOverheadBytes(large), KvStoreAccounting.DiskFootprint(large));
        Assert.True(KvStoreAccounting.FileOverheadBytes(large) <= 256, "header + trailer should stay a few hundred bytes");
    }

    [Fact]
    public async Task IndexOverhead_PerEntry_IsWithinTheDocumentedEstimate()
    {
        // Zero-token payloads: whatever the heap retains per entry is index overhead (entry, LRU
        // node, dictionary slot, buffer wrapper, SafeHandle, metadata; the metadata here is the
        // caller's and shared, so it is counted once per entry via a fresh copy below).
        await using var store = TestBlobs.Open(null, memoryBudget: 1 << 30);
        var metadata = KvEntryMetadata.ForModule(KvElementType.F16, 22, 4, 64, 0, 0, "module/path");
        var keys = Enumerable.Range(0, 2000).Select(i => TestBlobs.Key("k" + i)).ToArray();
        var blobs = keys.Select(_ => new KvArrayBlob(KvEntryMetadata.ForModule(KvElementType.F16, 22, 4, 64, 0, 0, "module/path"), [])).ToArray();
        await store.PutAsync(TestBlobs.Key("warm-up"), new KvArrayBlob(metadata, []), KvPutOptions.Module with { Persist = KvPersistMode.Never });

        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < keys.Length; i++)
        {
            await store.PutAsync(keys[i], blobs[i], KvPutOptions.Module with { Persist = KvPersistMode.Never });
        }

        long retained = GC.GetTotalMemory(forceFullCollection: true) - before;
        long perEntry = retained / keys.Length;

        // The blobs' metadata now belongs to the index; the blobs themselves are the caller's.
        GC.KeepAlive(blobs);
        output.WriteLine($"memory index: {perEntry} managed bytes retained per entry");
        Assert.True(perEntry <= KvStoreAccounting.MemoryIndexBytesPerEntry, $"measured {perEntry} bytes per entry");
        Assert.Equal(2001 * (long)KvStoreAccounting.MemoryIndexBytesPerEntry, store.GetCounters().IndexOverheadBytes);
    }

    [Fact]
    public async Task DiskIndexOverhead_PerFile_IsWithinTheDocumentedEstimate()
    {
        using var dir = new TempDirectory();
        const int Files = 200;
        var metadata = KvEntryMetadata.ForModule(KvElementType.F16, 22, 4, 64, 0, 0, "module/path");
        await using (var writer = TestBlobs.Open(dir.Path))
        {
            for (int i = 0; i < Files; i++)
            {
                await writer.PutAsync(TestBlobs.Key("f" + i), new KvArrayBlob(metadata, []), new KvPutOptions { Persist = KvPersistMode.Background });
            }
        }

        // Two stores over two copies would double-count shared runtime state; instead compare an
        // empty directory's store with the full one's, both alive at measurement time.
        using var empty = new TempDirectory();
        await using var baseline = TestBlobs.Open(empty.Path);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        await using var store = TestBlobs.Open(dir.Path);
        long perFile = (GC.GetTotalMemory(forceFullCollection: true) - before) / Files;
        output.WriteLine($"disk index: {perFile} managed bytes retained per file");
        Assert.Equal(Files, store.GetCounters().DiskEntries);
        Assert.True(perFile <= KvStoreAccounting.DiskIndexBytesPerEntry, $"measured {perFile} bytes per file");
    }
}
