using PromptCache.Runtime.Generation;

namespace PromptCache.Engine.Tests;

public sealed class PersistenceTests
{
    private static readonly GenerationOptions Greedy = new() { MaxTokens = 6, IgnoreEos = true };

    [Fact]
    public async Task A_restarted_engine_warms_from_disk_with_zero_recomputation()
    {
        string dir = TestSchemas.TempDirectory();
        IReadOnlyList<int> first;
        long segments;
        await using (var engine = TestSchemas.TinyEngine(dir))
        {
            await engine.WarmAsync([TestSchemas.Source(TestSchemas.Trip, "trip"), TestSchemas.Source(TestSchemas.Pick, "pick")]);
            var c = engine.GetCounters();
            segments = c.SegmentsComputed;
            Assert.True(segments > 0);
            Assert.True(c.PrecomputeTokens > 0);
            first = (await engine.RunAsync(Requests.TripCity("3", "Oslo", "Go?"), Greedy)).TokenIds;
        }

        await using (var restarted = TestSchemas.TinyEngine(dir))
        {
            var progress = new List<WarmProgress>();
            await restarted.WarmAsync([TestSchemas.Source(TestSchemas.Trip, "trip"), TestSchemas.Source(TestSchemas.Pick, "pick")], new SyncProgress(progress));
            var c = restarted.GetCounters();
            Assert.Equal(0, c.SegmentsComputed);
            Assert.Equal(0, c.PrecomputeTokens);
            Assert.Equal(segments, c.SegmentsLoaded);
            Assert.All(progress, p => Assert.True(p.LoadedFromStore));
            Assert.True(c.Store.DiskHits >= segments);
            Assert.Equal(first, (await restarted.RunAsync(Requests.TripCity("3", "Oslo", "Go?"), Greedy)).TokenIds);
        }
    }

    [Fact]
    public async Task A_corrupt_cache_file_is_reported_and_recomputed()
    {
        string dir = TestSchemas.TempDirectory();
        IReadOnlyList<int> first;
        await using (var engine = TestSchemas.TinyEngine(dir))
        {
            await engine.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
            first = (await engine.RunAsync(Requests.TripDefault("a week", "Hi"), Greedy)).TokenIds;
        }

        // Flip bytes in the middle of every cache file's payload.
        var files = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(f => new FileInfo(f).Length > 256).ToList();
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            byte[] bytes = File.ReadAllBytes(file);
            for (int i = bytes.Length / 2; i < bytes.Length / 2 + 16; i++) bytes[i] ^= 0x5A;
            File.WriteAllBytes(file, bytes);
        }

        var log = new List<string>();
        await using var restarted = PromptCacheEngine.CreateSynthetic(Synthetic.SyntheticShape.Tiny, 7,
            new PromptCacheEngineOptions { DiskCacheDirectory = dir, Log = m => { lock (log) log.Add(m); } });
        await restarted.WarmAsync(TestSchemas.Source(TestSchemas.Trip, "trip"));
        var c = restarted.GetCounters();
        Assert.True(c.CorruptFiles >= 1, "the corrupt file was reported");
        Assert.True(c.SegmentsComputed > 0, "the schema was recomputed");
        Assert.Contains(log, m => m.Contains("CorruptFile", StringComparison.Ordinal));
        Assert.Equal(first, (await restarted.RunAsync(Requests.TripDefault("a week", "Hi"), Greedy)).TokenIds);
    }

    [Fact]
    public async Task Tenant_salts_never_share_entries()
    {
        string dir = TestSchemas.TempDirectory();
        await using (var a = PromptCacheEngine.CreateSynthetic(Synthetic.SyntheticShape.Tiny, 7, new PromptCacheEngineOptions { DiskCacheDirectory = dir, TenantSalt = "a" }))
            await a.WarmAsync(TestSchemas.Source(TestSchemas.Pick, "pick"));
        await using var b = PromptCacheEngine.CreateSynthetic(Synthetic.SyntheticShape.Tiny, 7, new PromptCacheEngineOptions { DiskCacheDirectory = dir, TenantSalt = "b" });
        await b.WarmAsync(TestSchemas.Source(TestSchemas.Pick, "pick"));
        Assert.Equal(0, b.GetCounters().SegmentsLoaded);
        Assert.True(b.GetCounters().SegmentsComputed > 0);
    }

    // Progress<T> posts to the thread pool; the test wants the reports in order, at once.
    private sealed class SyncProgress(List<WarmProgress> sink) : IProgress<WarmProgress>
    {
        public void Report(WarmProgress value) => sink.Add(value);
    }
}
