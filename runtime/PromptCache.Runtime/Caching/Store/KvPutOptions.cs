namespace PromptCache.Runtime.Caching.Store;

/// <summary>How <see cref="KvCacheStore.PutAsync"/> stores one entry.</summary>
public sealed record KvPutOptions
{
    /// <summary>
    /// Module K/V: durable on disk before the put completes; never replaces an existing entry. To warm
    /// many modules quickly, prefer <see cref="KvPersistMode.Background"/> and one
    /// <see cref="KvCacheStore.FlushAsync"/> at the end: files are atomic either way, and waiting for
    /// each fsync serialises start-up on the disk.
    /// </summary>
    public static KvPutOptions Module { get; } = new();

    /// <summary>Conversation K/V: replaces the previous turn's entry; saved to disk in the background.</summary>
    public static KvPutOptions Session { get; } = new() { Persist = KvPersistMode.Background, Replace = true };

    /// <summary>When the entry reaches disk.</summary>
    public KvPersistMode Persist { get; init; } = KvPersistMode.Durable;

    /// <summary>
    /// False (modules): a key's bytes never change, so a put of a present key is a no-op and concurrent
    /// puts of one key are deduplicated. True (sessions): the new bytes replace the old in every tier.
    /// </summary>
    public bool Replace { get; init; }
}
