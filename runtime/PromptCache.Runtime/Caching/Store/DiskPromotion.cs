using PromptCache.Runtime.Caching.Memory;
using PromptCache.Runtime.Caching.Persistence;

namespace PromptCache.Runtime.Caching.Store;

/// <summary>
/// One load into memory in flight — from this store's disk, or from the lower store — shared by
/// every lookup of the key that arrives meanwhile.
/// Each layer gets its own completion so a layer-wise reader can start on layer 0 while later
/// layers are still being read and verified.
/// </summary>
internal sealed class DiskPromotion
{
    public DiskPromotion(DiskEntry? source, ResidentEntry entry)
    {
        Source = source;
        Entry = entry;
        Layers = new TaskCompletionSource<bool>[entry.Buffer.Metadata.LayerCount];
        for (int i = 0; i < Layers.Length; i++)
        {
            Layers[i] = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>The file being read; null when the load comes from the lower store.</summary>
    public DiskEntry? Source { get; }

    /// <summary>The tier the bytes come from.</summary>
    public KvTier Tier => Source is null ? KvTier.Lower : KvTier.Disk;

    /// <summary>The entry being filled; the promotion owns one reference, each joined reader one more.</summary>
    public ResidentEntry Entry { get; }

    /// <summary>Per-layer results: true once the layer is read and its CRC verified, false if the load failed first.</summary>
    public TaskCompletionSource<bool>[] Layers { get; }

    public TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Readers that joined (guarded by the store's lock); counted as disk hits or misses at the end.</summary>
    public int Joiners { get; set; }

    public KvFileProblem Problem { get; set; }

    public string Detail { get; set; } = "";
}
