using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Keys;
using PromptCache.Runtime.Caching.Persistence;

namespace PromptCache.Runtime.Caching.Store;

// Puts: copy into the memory tier, persist as asked, deduplicate concurrent puts of one key.
public sealed partial class KvCacheStore
{
    /// <summary>
    /// Stores a copy of <paramref name="blob"/> under <paramref name="key"/> (the caller keeps its
    /// blob). Without <see cref="KvPutOptions.Replace"/>, a present key is left as is and concurrent
    /// puts of one key copy once. With <see cref="KvPersistMode.Durable"/> the file is published
    /// (fsync + rename) before the returned task completes.
    /// </summary>
    /// <exception cref="ArgumentException">The blob's metadata is inconsistent with its kind.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before the entry was stored.</exception>
    public async ValueTask<KvPutResult> PutAsync(KvCacheKey key, IKvBlob blob, KvPutOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        options ??= KvPutOptions.Module;
        while (true)
        {
            var (slot, other, present) = ClaimPutSlot(key, options);
            if (present is { } result)
            {
                return result;
            }

            if (other is not null)
            {
                await other.WaitAsync(cancellationToken).ConfigureAwait(false);
                var tier = Locate(key);
                if (tier != KvTier.None)
                {
                    StoreCounters.Add(ref _counters.PutsDeduplicated);
                    return new KvPutResult(KvPutOutcome.Deduplicated, tier is KvTier.Disk or KvTier.Lower);
                }

                continue; // The other put failed or was cancelled: try ourselves.
            }

            try
            {
                var (stored, lease) = await StoreCopyAsync(key, blob, options, wantLease: false, cancellationToken).ConfigureAwait(false);
                lease?.Dispose();
                return stored;
            }
            finally
            {
                ReleasePutSlot(key, slot);
            }
        }
    }

    /// <summary>
    /// Returns a lease on <paramref name="key"/>, computing it with <paramref name="compute"/> on a miss.
    /// Concurrent callers of one key compute once; the others wait and share the result. Module K/V
    /// warming is this call.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public async ValueTask<KvLease> GetOrAddAsync(
        KvCacheKey key,
        Func<CancellationToken, ValueTask<IKvBlob>> compute,
        KvPutOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(compute);
        options = (options ?? KvPutOptions.Module) with { Replace = false };
        while (true)
        {
            var cached = await TryGetAsync(key, cancellationToken).ConfigureAwait(false);
            if (cached is not null)
            {
                return cached;
            }

            var (slot, other, present) = ClaimPutSlot(key, options);
            if (present is not null)
            {
                continue; // Appeared between the lookup and the claim.
            }

            if (other is not null)
            {
                await other.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                var blob = await compute(cancellationToken).ConfigureAwait(false);
                if (blob is null || blob.Metadata is null)
                {
                    throw new InvalidOperationException($"The compute callback for cache key {key} returned no K/V.");
                }

                var (_, lease) = await StoreCopyAsync(key, blob, options, wantLease: true, cancellationToken).ConfigureAwait(false);
                return lease!;
            }
            finally
            {
                ReleasePutSlot(key, slot);
            }
        }
    }

    /// <summary>
    /// Claims the right to store <paramref name="key"/>: returns a slot to release, or a put in flight
    /// to wait for, or a result when the key is already present (non-replacing puts only).
    /// </summary>
    private (TaskCompletionSource? Slot, Task? Other, KvPutResult? Present) ClaimPutSlot(KvCacheKey key, KvPutOptions options)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (options.Replace)
            {
                return (null, null, null);
            }

            if (_memory.TryGetValue(key, out var listed) || _spilling.ContainsKey(key))
            {
                if (listed?.LruNode is not null)
                {
                    _memoryLru.Remove(listed.LruNode);
                    _memoryLru.AddLast(listed.LruNode);
                }

                StoreCounters.Add(ref _counters.PutsDeduplicated);
                return (null, null, new KvPutResult(KvPutOutcome.AlreadyPresent, InNextTierLocked(key)));
            }

            if (_puts.TryGetValue(key, out var other))
            {
                return (null, other, null);
            }

            if (InNextTierLocked(key))
            {
                StoreCounters.Add(ref _counters.PutsDeduplicated);
                return (null, null, new KvPutResult(KvPutOutcome.AlreadyPresent, true));
            }

            var slot = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _puts[key] = slot.Task;
            return (slot, null, null);
        }
    }

    private void ReleasePutSlot(KvCacheKey key, TaskCompletionSource? slot)
    {
        if (slot is null)
        {
            return;
        }

        lock (_gate)
        {
            _puts.Remove(key);
        }

        slot.TrySetResult();
    }

    /// <summary>Copies the blob (outside the lock), then lists it and starts the disk write its persist mode asks for.</summary>
    private async ValueTask<(KvPutResult Result, KvLease? Lease)> StoreCopyAsync(
        KvCacheKey key, IKvBlob blob, KvPutOptions options, bool wantLease, CancellationToken cancellationToken)
    {
        var metadata = blob.Metadata ?? throw new ArgumentException("The blob has no metadata.", nameof(blob));
        var buffer = CopyIntoNewBuffer(blob, cancellationToken);
        var entry = NewEntry(key, buffer, options.Persist);
        KvPutOutcome outcome;
        PendingWrite? write = null;
        KvLease? lease = null;
        lock (_gate)
        {
            if (_disposed)
            {
                entry.Release();
                ThrowIfDisposed();
            }

            if (options.Replace)
            {
                SupersedeLocked(key);
            }

            bool admitted = AdmitLocked(entry);
            bool persist = HasNextTier && options.Persist != KvPersistMode.Never;
            if (admitted)
            {
                outcome = KvPutOutcome.Stored;
                if (persist && options.Persist is KvPersistMode.Durable or KvPersistMode.Background)
                {
                    entry.AddRef();
                    write = StartWriteLocked(entry, isSpill: false);
                }
            }
            else
            {
                entry.MarkRetained(AddRetained);
                outcome = persist ? KvPutOutcome.StoredOnDiskOnly : KvPutOutcome.Rejected;
                if (persist)
                {
                    entry.AddRef();
                    write = StartWriteLocked(entry, isSpill: false);
                }
            }

            if (wantLease)
            {
                entry.AddRef();
                lease = new KvLease(entry, KvTier.None);
            }

            if (!admitted)
            {
                entry.Release(); // The index did not take the creation reference.
            }
        }

        StoreCounters.Add(ref _counters.Puts);
        if (outcome == KvPutOutcome.Rejected)
        {
            Notify(new KvCacheNotice(KvNoticeKind.Rejected, key, null, KvFileProblem.None,
                $"Cache entry {key} ({metadata}, {metadata.PayloadBytes} bytes) exceeds the memory budget of {_options.MemoryBudgetBytes} bytes and has no disk tier to go to; not stored."));
        }

        bool persisted = false;
        if (write is not null && (options.Persist == KvPersistMode.Durable || outcome == KvPutOutcome.StoredOnDiskOnly))
        {
            try
            {
                persisted = await write.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                lease?.Dispose();
                throw;
            }
        }

        return (new KvPutResult(outcome, persisted), lease);
    }
}
