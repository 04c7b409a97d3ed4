using System.Diagnostics;
using System.Globalization;
using PromptCache.Cuda.Backend;
using PromptCache.Engine;
using PromptCache.Engine.Synthetic;
using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Generation;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cli.Commands.Bench;

/// <summary>Cached vs uncached TTFT, warm-up cost (compute vs disk), memory per cached token.</summary>
internal static class TtftBenchmark
{
    public static async Task RunAsync(SyntheticShape shape, IReadOnlyList<int> sizes, int reps, int uncachedReps, KvDataType kvType, IComputeBackend? backend = null,
        int rehearsals = 0, int suffixTokens = BenchSchema.SuffixTokens)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"Engine TTFT: shape {shape.Name} (d {shape.HiddenSize}, {shape.LayerCount} layers, heads {shape.HeadCount}/{shape.KvHeadCount}, FFN {shape.FfnSize}, {shape.WeightType}), " +
                          $"{(backend is null ? $"CPU, {Environment.ProcessorCount} cores" : backend.Name)}, K/V {kvType.ToString().ToLowerInvariant()}, {reps} cached / {uncachedReps} uncached reps (medians), first token only.");
        Console.WriteLine("| cached tokens | new tokens | TTFT uncached | TTFT cached | uncached/cached | cached floor | cached/floor | warm (compute) | warm (from disk) | K/V bytes/token | store overhead |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var one = new GenerationOptions { MaxTokens = 1, IgnoreEos = true };
        var notes = new List<string>(); // printed under the table
        foreach (int size in sizes)
        {
            string dir = Path.Combine(Path.GetTempPath(), "promptcache-bench-engine", Guid.NewGuid().ToString("N"));
            var schema = new PromptSchemaSource(BenchSchema.Pml(size), $"bench{size}.pml");
            var warmLog = new List<string>(); // where the first warm-up's time went (the engine's log)
            var options = new PromptCacheEngineOptions { DiskCacheDirectory = dir, KvDataType = kvType, Log = line => { lock (warmLog) warmLog.Add(line); } };
            double warmCompute, warmDisk;
            await using (var first = PromptCacheEngine.CreateSynthetic(shape, 1234, options, backend))
            {
                // A backend takes the weights at its first forward (the GPU's upload): that is the model's load, not the warm-up's.
                var load = Stopwatch.StartNew();
                first.Model.Forward([0], [0], [], null, LogitsMode.Last);
                notes.Add(string.Create(inv, $"Model load before the {size}-token warm-up: the first forward, which uploads the weights to the backend, took {load.Elapsed.TotalMilliseconds:F0} ms (not in the warm-up column)"));
                var clock = Stopwatch.StartNew();
                await first.WarmAsync(schema);
                warmCompute = clock.Elapsed.TotalMilliseconds;
                await first.Store.FlushAsync();
            }
            lock (warmLog) notes.AddRange(warmLog.Where(l => l.StartsWith("computed schema", StringComparison.Ordinal)).Select(l => $"Warm-up ({size} cached tokens): {l}"));

            await using var engine = PromptCacheEngine.CreateSynthetic(shape, 1234, options, backend);
            var diskClock = Stopwatch.StartNew();
            await engine.WarmAsync(schema);
            warmDisk = diskClock.Elapsed.TotalMilliseconds;
            if (engine.GetCounters().SegmentsComputed != 0) throw new InvalidOperationException("The restarted engine recomputed instead of loading from disk.");

            // What a service would run at start-up (PromptCacheOptions.RehearsalRequests), then one warm-up call
            // (JIT, buffers), then timed runs with varied arguments and suffixes.
            if (rehearsals > 0)
            {
                var rehearsalClock = Stopwatch.StartNew();
                await engine.RehearseAsync($"bench{size}", rehearsals);
                notes.Add(string.Create(inv, $"Rehearsal before the timed calls ({size} cached tokens): {rehearsals} calls in {rehearsalClock.Elapsed.TotalMilliseconds:F0} ms"));
            }
            await engine.RunAsync(BenchSchema.Request(size, 99, suffixTokens), one);
            if (uncachedReps > 0) await engine.RunUncachedAsync(BenchSchema.Request(size, 98, suffixTokens), one);
            var cached = new List<double>();
            var planning = new List<double>();
            var prefill = new List<double>();
            var graphsBefore = (backend as CudaBackend)?.GraphStats;
            var instantiatedBy = new List<long>(); // per call: executable graphs built anew
            PromptRunStats? last = null;
            for (int i = 0; i < reps; i++)
            {
                long built = (backend as CudaBackend)?.GraphStats.Instantiated ?? 0;
                var r = await engine.RunAsync(BenchSchema.Request(size, i, suffixTokens), one);
                cached.Add(r.TimeToFirstToken.TotalMilliseconds);
                planning.Add(r.Stats.PlanningTime.TotalMilliseconds);
                prefill.Add(r.Stats.PrefillTime.TotalMilliseconds);
                instantiatedBy.Add(((backend as CudaBackend)?.GraphStats.Instantiated ?? 0) - built);
                last = r.Stats;
            }
            var graphsAfter = (backend as CudaBackend)?.GraphStats;
            var uncached = new List<double>();
            for (int i = 0; i < uncachedReps; i++)
                uncached.Add((await engine.RunUncachedAsync(BenchSchema.Request(size, i, suffixTokens), one)).TimeToFirstToken.TotalMilliseconds);

            var counters = engine.GetCounters();
            int cachedTokens = last!.CachedTokens, newTokens = last.PrefillTokens;
            int kvBytes = kvType == KvDataType.F32 ? 4 : 2;
            // The floor uses this CPU's measured peak and bandwidth; a GPU's floors are benchmarks/Cuda's.
            double floorMs = Floor.Seconds(shape, newTokens, cachedTokens, kvBytes) * 1000;
            double c = Median.Of(cached), u = Median.Of(uncached);
            long bytesPerToken = 2L * shape.LayerCount * shape.KvHeadCount * shape.HeadDim * kvBytes;
            double overhead = (counters.Store.DiskBytes - (double)bytesPerToken * cachedTokens) / (bytesPerToken * (double)cachedTokens);
            Console.WriteLine(string.Create(inv,
                $"| {cachedTokens} | {newTokens} | {u:F0} ms | {c:F1} ms | {u / c:F1}× | {(backend is null ? $"{floorMs:F1} ms | {c / floorMs:F2}" : "– | –")} | {warmCompute:F0} ms | {warmDisk:F0} ms | {bytesPerToken} | {overhead * 100:F3} % disk, {counters.Store.IndexOverheadBytes} B index |"));
            // Where a cached call's TTFT goes (PromptRunStats): before the forward, the forward, sampling after it.
            var sampling = cached.Select((t, i) => t - planning[i] - prefill[i]).ToList();
            notes.Add(string.Create(inv, $"Cached TTFT ({cachedTokens} cached tokens), medians of {reps}: planning {Median.Of(planning):F2} ms, forward {Median.Of(prefill):F2} ms, sampling {Median.Of(sampling):F2} ms"));
            if (graphsBefore is { } before && graphsAfter is { } after)
            {
                // The timed cached calls: executable graphs updated in place vs built anew (slow).
                notes.Add(string.Create(inv, $"CUDA graphs in the {reps} timed cached calls ({cachedTokens} cached tokens): {after.Launched - before.Launched} chunks launched, " +
                    $"{after.Instantiated - before.Instantiated} instantiated; {(after.SignatureTime - before.SignatureTime).TotalMicroseconds / Math.Max(1, after.Launched - before.Launched):F1} µs of host time per chunk for its signature"));
                // Call by call: TTFT (ms) and graphs built anew, to tell one-off builds from a steady cost.
                notes.Add(string.Create(inv, $"  cached calls in order (TTFT ms/graphs built): {string.Join(" ", cached.Select((t, i) => $"{t:F2}/{instantiatedBy[i]}"))}"));
            }
            if (backend is CudaBackend cuda)
            {
                notes.Add(await MergedGroupsAsync(engine, cuda, size, reps, one, suffixTokens));
                notes.Add(await HostTierAsync(engine, shape, options, cuda, schema, size, reps, one, suffixTokens, bytesPerToken * cachedTokens));
            }
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
        notes.ForEach(Console.WriteLine);
    }

    // The host tier: the modules' device copies dropped before each call, so each call loads them back from host
    // memory. Page-locked (the engine's default): layer by layer while the forward runs, then with every layer
    // loaded before the first attention (the same bytes without the overlap); and from pageable memory (an engine
    // warmed from disk with PinModuleHostMemory off). Calls alternate between the first two.
    private static async Task<string> HostTierAsync(PromptCacheEngine engine, SyntheticShape shape, PromptCacheEngineOptions options, CudaBackend cuda,
        PromptSchemaSource schema, int size, int reps, GenerationOptions one, int suffixTokens, long moduleBytes)
    {
        var overlapped = new List<double>();
        var loadThenRun = new List<double>();
        var pageable = new List<double>();
        async Task<double> FromHost(PromptCacheEngine on, int seed)
        {
            cuda.DropDeviceKvCopies();
            return (await on.RunAsync(BenchSchema.Request(size, seed, suffixTokens), one)).TimeToFirstToken.TotalMilliseconds;
        }
        long pinnedBefore = cuda.PinnedHostBytes;
        try
        {
            await FromHost(engine, 2000); // warms the load path
            for (int i = 0; i < 2 * reps; i++)
            {
                cuda.OverlapHostLoad = i % 2 == 0;
                (i % 2 == 0 ? overlapped : loadThenRun).Add(await FromHost(engine, 2001 + i));
            }
        }
        finally
        {
            cuda.OverlapHostLoad = true;
        }
        await using (var unpinned = PromptCacheEngine.CreateSynthetic(shape, 1234, options with { PinModuleHostMemory = false }, cuda))
        {
            await unpinned.WarmAsync(schema);
            await FromHost(unpinned, 3000);
            for (int i = 0; i < reps; i++) pageable.Add(await FromHost(unpinned, 3001 + i));
        }
        double floorMs = moduleBytes / 52.7e9 * 1000; // PCIe 5.0 x16's measured host-to-device rate on the H100 machine
        return string.Create(CultureInfo.InvariantCulture,
            $"Host tier ({size} cached tokens, {moduleBytes / 1e9:F2} GB of module K/V loaded per call, {pinnedBefore / 1e9:F2} GB page-locked): cached TTFT {Median.Of(overlapped):F1} ms " +
            $"page-locked and layer by layer, {Median.Of(loadThenRun):F1} ms page-locked and loaded before the forward, {Median.Of(pageable):F1} ms from pageable memory " +
            $"(medians of {reps}); PCIe floor {floorMs:F1} ms at 52.7 GB/s");
    }

    // The request's row groups (its arguments see the modules only below their positions): one block per head for
    // all of them (CudaBackendOptions.MergedGroupsShareKeys), a block per group in one launch per layer
    // (MergeAttentionGroups), or one launch per group: cached TTFT, the three in turn.
    private static async Task<string> MergedGroupsAsync(PromptCacheEngine engine, CudaBackend cuda, int size, int reps, GenerationOptions one, int suffixTokens)
    {
        (bool Merge, bool Share)[] modes = [(true, true), (true, false), (false, false)];
        var times = modes.Select(_ => new List<double>()).ToArray();
        try
        {
            for (int i = 0; i < modes.Length * (reps + 1); i++)
            {
                int mode = i % modes.Length;
                cuda.MergeAttentionGroupsOverride = modes[mode].Merge;
                cuda.SharesKeysOverride = modes[mode].Share;
                var r = await engine.RunAsync(BenchSchema.Request(size, 1000 + i, suffixTokens), one);
                if (i >= modes.Length) times[mode].Add(r.TimeToFirstToken.TotalMilliseconds); // the first round warms every path
            }
        }
        finally
        {
            cuda.MergeAttentionGroupsOverride = null;
            cuda.SharesKeysOverride = null;
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"Attention row groups ({size} cached tokens): cached TTFT {Median.Of(times[0]):F2} ms in one block per head for all groups, {Median.Of(times[1]):F2} ms in a block per group (one launch per layer), {Median.Of(times[2]):F2} ms in one launch per group (medians of {reps}, in turn)");
    }
}
