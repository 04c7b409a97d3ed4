namespace PromptCache.Runtime.Caching.Store;

/// <summary>The store's monotonic counters, bumped with interlocked adds from any thread.</summary>
internal sealed class StoreCounters
{
    public long MemoryHits;
    public long MemoryMisses;
    public long DiskHits;
    public long DiskMisses;
    public long LowerHits;
    public long LowerMisses;
    public long Misses;
    public long Puts;
    public long PutsDeduplicated;
    public long MemoryEvictions;
    public long Spills;
    public long DiskEvictions;
    public long CorruptFilesDetected;
    public long StaleTempFilesRemoved;
    public long WriteFailures;
    public long BytesWritten;
    public long BytesRead;

    public static void Add(ref long counter, long amount = 1) => Interlocked.Add(ref counter, amount);

    public KvCacheCounters Snapshot() => new()
    {
        MemoryHits = Interlocked.Read(ref MemoryHits),
        MemoryMisses = Interlocked.Read(ref MemoryMisses),
        DiskHits = Interlocked.Read(ref DiskHits),
        DiskMisses = Interlocked.Read(ref DiskMisses),
        LowerHits = Interlocked.Read(ref LowerHits),
        LowerMisses = Interlocked.Read(ref LowerMisses),
        Misses = Interlocked.Read(ref Misses),
        Puts = Interlocked.Read(ref Puts),
        PutsDeduplicated = Interlocked.Read(ref PutsDeduplicated),
        MemoryEvictions = Interlocked.Read(ref MemoryEvictions),
        Spills = Interlocked.Read(ref Spills),
        DiskEvictions = Interlocked.Read(ref DiskEvictions),
        CorruptFilesDetected = Interlocked.Read(ref CorruptFilesDetected),
        StaleTempFilesRemoved = Interlocked.Read(ref StaleTempFilesRemoved),
        WriteFailures = Interlocked.Read(ref WriteFailures),
        BytesWritten = Interlocked.Read(ref BytesWritten),
        BytesRead = Interlocked.Read(ref BytesRead),
    };
}
