using System.Diagnostics;
using System.Security.Cryptography;
using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Keys;
using PromptCache.Runtime.Caching.Persistence;
using PromptCache.Runtime.Caching.Store;

// Cache-store table. Options: --dir PATH (default: a fresh folder under the temp dir), --reps N (default 3).
string? dirOption = null;
int reps = 3;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--dir": dirOption = args[++i]; break;
        case "--reps": reps = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"Unknown option '{args[i]}'. Options: --dir PATH, --reps N."); return 2;
    }
}

string root = Path.Combine(dirOption ?? Path.GetTempPath(), "pc-store-bench-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(root);
try
{
    Console.WriteLine($"# Cache store, {Environment.ProcessorCount} threads, {DateTime.UtcNow:u}, directory {root}");
    Console.WriteLine($"# Medians of {reps} samples. Disk reads come from the OS page cache (no root to drop it): they measure the store, not the device.");
    Checksums(reps);
    Shapes(root, reps);
    PromoteBreakdown(root, reps);
    RestartScan(root);
    return 0;
}
finally
{
    Directory.Delete(root, recursive: true);
}

static void Checksums(int reps)
{
    byte[] data = new byte[256 << 20];
    new Random(1).NextBytes(data);
    Console.WriteLine();
    Console.WriteLine("| checksum (256 MiB) | median ms | GB/s |");
    Console.WriteLine("|---|---:|---:|");
    Row("CRC-32C, SSE4.2 / ARMv8 instruction", () => Crc32C.Compute(data));
    Row("CRC-32C, slice-by-8 table (fallback)", () => Crc32C.ComputeScalar(data));
    Row("SHA-256 (BCL)", () => SHA256.HashData(data));

    void Row(string name, Action run)
    {
        double ms = Median(reps, run);
        Console.WriteLine($"| {name} | {ms:F1} | {data.Length / ms / 1e6:F2} |");
    }
}

static void Shapes(string root, int reps)
{
    var shapes = new (string Name, KvElementType Type, int Layers, int KvHeads, int HeadDim)[]
    {
        ("Llama-110M f32", KvElementType.F32, 12, 12, 64),
        ("TinyLlama-1.1B f16", KvElementType.F16, 22, 4, 64),
    };
    Console.WriteLine();
    Console.WriteLine("| shape | tokens | payload MB | bytes/token (formula) | file overhead B | durable put ms | put GB/s | memory hit µs | disk promote ms | promote GB/s |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var shape in shapes)
    {
        foreach (int tokens in new[] { 1024, 2048, 4096 })
        {
            var metadata = KvEntryMetadata.ForModule(shape.Type, shape.Layers, shape.KvHeads, shape.HeadDim, 0, tokens, "bench");
            byte[] payload = new byte[metadata.PayloadBytes];
            new Random(tokens).NextBytes(payload);
            var blob = new KvArrayBlob(metadata, payload);
            double put = 0, hit = 0, promote = 0;
            var puts = new List<double>();
            var hits = new List<double>();
            var promotes = new List<double>();
            for (int r = 0; r < reps; r++)
            {
                string dir = Path.Combine(root, $"{shape.Layers}-{tokens}-{r}");
                var key = new KvModuleKeyParts("bench", "bench", "bench", $"m{tokens}", "", shape.Type).ToKey();
                using (var store = KvCacheStore.Open(new KvCacheStoreOptions { DiskDirectory = dir, MemoryBudgetBytes = 4L << 30 }))
                {
                    var sw = Stopwatch.StartNew();
                    store.PutAsync(key, blob).AsTask().GetAwaiter().GetResult();
                    puts.Add(sw.Elapsed.TotalMilliseconds);
                    sw.Restart();
                    using (store.TryGetAsync(key).AsTask().GetAwaiter().GetResult())
                    {
                        hits.Add(sw.Elapsed.TotalMilliseconds * 1000);
                    }
                }

                using (var restarted = KvCacheStore.Open(new KvCacheStoreOptions { DiskDirectory = dir, MemoryBudgetBytes = 4L << 30 }))
                {
                    var sw = Stopwatch.StartNew();
                    using var lease = restarted.TryGetAsync(key).AsTask().GetAwaiter().GetResult()
                        ?? throw new InvalidOperationException("The entry written a moment ago was not found after restart.");
                    promotes.Add(sw.Elapsed.TotalMilliseconds);
                }
            }

            put = MedianOf(puts);
            hit = MedianOf(hits);
            promote = MedianOf(promotes);
            double mb = metadata.PayloadBytes / 1e6;
            Console.WriteLine($"| {shape.Name} | {tokens} | {mb:F1} | {metadata.BytesPerToken} | {KvStoreAccounting.FileOverheadBytes(metadata)} | {put:F1} | {mb / put:F2} | {hit:F1} | {promote:F1} | {mb / promote:F2} |");
        }
    }
}

// Where a promotion's time goes, for the largest shape: fresh native memory (page faults), the read
// out of the page cache, the CRC. The store's promote is roughly their sum.
static unsafe void PromoteBreakdown(string root, int reps)
{
    var metadata = KvEntryMetadata.ForModule(KvElementType.F16, 22, 4, 64, 0, 4096, "breakdown");
    string path = Path.Combine(root, "breakdown.bin");
    byte[] payload = new byte[metadata.PayloadBytes];
    new Random(3).NextBytes(payload);
    File.WriteAllBytes(path, payload);
    long bytes = metadata.PayloadBytes;
    double touch = Median(reps, () =>
    {
        byte* p = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)bytes, 64);
        new Span<byte>(p, (int)bytes).Clear();
        System.Runtime.InteropServices.NativeMemory.AlignedFree(p);
    });
    double touchStore = Median(reps, () =>
    {
        using var handle = new PromptCache.Runtime.Caching.Memory.NativeMemoryHandle(bytes);
        new Span<byte>(handle.Pointer, (int)bytes).Clear();
    });
    byte* target = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)bytes, 64);
    new Span<byte>(target, (int)bytes).Clear();
    double read = Median(reps, () =>
    {
        using var handle = File.OpenHandle(path);
        RandomAccess.Read(handle, new Span<byte>(target, (int)bytes), 0);
    });
    double crc = Median(reps, () => Crc32C.Compute(new ReadOnlySpan<byte>(target, (int)bytes)));
    System.Runtime.InteropServices.NativeMemory.AlignedFree(target);
    Console.WriteLine();
    Console.WriteLine($"Promote breakdown, TinyLlama-1.1B f16, 4096 tokens ({bytes / 1e6:F1} MB): fresh memory + first touch {touch:F1} ms with 4 KiB pages, {touchStore:F1} ms as the store allocates it (2 MiB-aligned, MADV_HUGEPAGE), read from page cache {read:F1} ms ({bytes / read / 1e6:F2} GB/s), CRC-32C {crc:F1} ms ({bytes / crc / 1e6:F2} GB/s).");
}

static void RestartScan(string root)
{
    const int Files = 1000;
    string dir = Path.Combine(root, "scan");
    var metadata = KvEntryMetadata.ForModule(KvElementType.F16, 22, 4, 64, 0, 8, "scan");
    var blob = new KvArrayBlob(metadata, new byte[metadata.PayloadBytes]);
    using (var store = KvCacheStore.Open(new KvCacheStoreOptions { DiskDirectory = dir }))
    {
        for (int i = 0; i < Files; i++)
        {
            store.PutAsync(new KvModuleKeyParts("scan", "scan", "scan", "m" + i, "", KvElementType.F16).ToKey(), blob,
                new KvPutOptions { Persist = KvPersistMode.Background }).AsTask().GetAwaiter().GetResult();
        }
    }

    var sw = Stopwatch.StartNew();
    using var reopened = KvCacheStore.Open(new KvCacheStoreOptions { DiskDirectory = dir });
    double ms = sw.Elapsed.TotalMilliseconds;
    Console.WriteLine();
    Console.WriteLine($"Restart scan: {reopened.GetCounters().DiskEntries} files indexed from their headers in {ms:F1} ms ({ms * 1000 / Files:F0} µs per file).");
    Console.WriteLine($"Per-entry overhead: file header + trailer {KvStoreAccounting.FileOverheadBytes(metadata)} B (22 layers); memory index ≤ {KvStoreAccounting.MemoryIndexBytesPerEntry} B, disk index ≤ {KvStoreAccounting.DiskIndexBytesPerEntry} B (managed).");
}

static double Median(int reps, Action run)
{
    run();
    var samples = new List<double>();
    for (int i = 0; i < reps; i++)
    {
        var sw = Stopwatch.StartNew();
        run();
        samples.Add(sw.Elapsed.TotalMilliseconds);
    }

    return MedianOf(samples);
}

static double MedianOf(List<double> samples)
{
    samples.Sort();
    return samples[samples.Count / 2];
}
