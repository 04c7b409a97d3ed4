using PromptCache.Runtime.Caching.Keys;
using PromptCache.Runtime.Caching.Memory;
using PromptCache.Runtime.Caching.Persistence;

namespace PromptCache.Runtime.Caching.Store;

// Lookups: memory first, then disk with promotion. A file that fails verification is a miss, never data.
public sealed partial class KvCacheStore
{
    /// <summary>
    /// Looks <paramref name="key"/> up in memory, then on disk (a disk hit is verified, promoted into
    /// memory and served). Returns null on a miss — including a corrupt or mismatched file, which is
    /// reported through <see cref="KvCacheStoreOptions.OnNotice"/> and removed. Dispose the lease when done.
    /// </summary>
    /// <exception cref="OperationCanceledException">This caller stopped waiting; a shared disk load continues for others.</exception>
    public async ValueTask<KvLease?> TryGetAsync(KvCacheKey key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        DiskPromotion? promotion;
        lock (_gate)
        {
            ThrowIfDisposed();
            if (TryLeaseResidentLocked(key, out var lease))
            {
                StoreCounters.Add(ref _counters.MemoryHits);
                return lease;
            }

            StoreCounters.Add(ref _counters.MemoryMisses);
            promotion = JoinPromotionLocked(key);
            if (promotion is null)
            {
                return null;
            }
        }

        bool loaded;
        try
        {
            loaded = await promotion.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            promotion.Entry.Release();
            throw;
        }

        if (!loaded)
        {
            promotion.Entry.Release();
            return null;
        }

        return new KvLease(promotion.Entry, promotion.Tier);
    }

    /// <summary>Memory-only lookup that never waits on disk; null when the key is not resident.</summary>
    public KvLease? TryGetResident(KvCacheKey key)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (TryLeaseResidentLocked(key, out var lease))
            {
                StoreCounters.Add(ref _counters.MemoryHits);
                return lease;
            }

            StoreCounters.Add(ref _counters.MemoryMisses);
            return null;
        }
    }

    /// <summary>
    /// Starts loading <paramref name="key"/> so its layers can be consumed one at a time while later
    /// layers are still being read (each verified by its own CRC before it is handed out). Memory hits
    /// come back with every layer ready. Null on a miss.
    /// </summary>
    public KvLayerwiseLoad? BeginLayerwiseLoad(KvCacheKey key)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (TryLeaseResidentLocked(key, out var lease))
            {
                StoreCounters.Add(ref _counters.MemoryHits);
                return new KvLayerwiseLoad(lease!, null);
            }

            StoreCounters.Add(ref _counters.MemoryMisses);
            var promotion = JoinPromotionLocked(key);
            return promotion is null ? null : new KvLayerwiseLoad(new KvLease(promotion.Entry, promotion.Tier), promotion);
        }
    }

    /// <summary>
    /// Joins the disk load of <paramref name="key"/> in flight, or starts one. The caller gets one
    /// reference on the promotion's entry. Null (counted as a miss) when the key is not on disk.
    /// </summary>
    private DiskPromotion? JoinPromotionLocked(KvCacheKey key)
    {
        if (!_promotions.TryGetValue(key, out var promotion))
        {
            _disk.TryGetValue(key, out var file);
            var metadata = file?.Metadata ?? _lower?.PeekMetadata(key);
            if (metadata is null)
            {
                if (_directory is not null)
                {
                    StoreCounters.Add(ref _counters.DiskMisses);
                }

                if (_lower is not null)
                {
                    StoreCounters.Add(ref _counters.LowerMisses);
                }

                StoreCounters.Add(ref _counters.Misses);
                return null;
            }

            IKvResidentBuffer buffer;
            try
            {
                buffer = _options.MemoryAllocator.Allocate(metadata);
            }
            catch (OutOfMemoryException)
            {
                StoreCounters.Add(ref _counters.Misses);
                return null;
            }

            // Promoted entries are already in the tier below, so eviction only has to re-spill them if that copy went away.
            promotion = new DiskPromotion(file, NewEntry(key, buffer, KvPersistMode.OnEviction));
            _promotions[key] = promotion;
            TrackLocked(promotion.Completion.Task);
            _ = file is not null
                ? Task.Run(() => RunPromotion(promotion), CancellationToken.None)
                : Task.Run(() => RunLowerPromotionAsync(promotion), CancellationToken.None);
        }

        promotion.Entry.AddRef();
        promotion.Joiners++;
        return promotion;
    }

    private void RunPromotion(DiskPromotion promotion)
    {
        var key = promotion.Entry.Key;
        var buffer = promotion.Entry.Buffer;
        var metadata = buffer.Metadata;
        string detail = "";
        var problem = KvFileReader.TryOpen(FilePath(key), key, out var reader, out detail);
        try
        {
            if (problem == KvFileProblem.None && !reader!.Header.Metadata.HasSameShape(metadata))
            {
                problem = KvFileProblem.BadHeader;
                detail = $"file holds {reader.Header.Metadata}, index expected {metadata}";
            }

            byte[]? staging = null;
            for (int layer = 0; layer < metadata.LayerCount && problem == KvFileProblem.None; layer++)
            {
                if (buffer is HostKvBuffer host)
                {
                    problem = reader!.ReadLayer(layer, host.GetWritableLayer(layer), _shutdown.Token, out detail);
                }
                else
                {
                    staging ??= new byte[metadata.LayerBytes];
                    problem = reader!.ReadLayer(layer, staging, _shutdown.Token, out detail);
                    if (problem == KvFileProblem.None)
                    {
                        buffer.WriteLayer(layer, staging);
                    }
                }

                if (problem == KvFileProblem.None)
                {
                    StoreCounters.Add(ref _counters.BytesRead, metadata.LayerBytes);
                    promotion.Layers[layer].TrySetResult(true);
                }
            }
        }
        catch (OperationCanceledException)
        {
            problem = KvFileProblem.IoError;
            detail = "the store is shutting down";
        }
        finally
        {
            reader?.Dispose();
        }

        promotion.Problem = problem;
        promotion.Detail = detail;
        FinishPromotion(promotion);
    }

    /// <summary>Fills the promotion's buffer from a lease on the lower store, layer by layer.</summary>
    private async Task RunLowerPromotionAsync(DiskPromotion promotion)
    {
        var key = promotion.Entry.Key;
        var buffer = promotion.Entry.Buffer;
        var metadata = buffer.Metadata;
        KvLease? lease = null;
        try
        {
            lease = await _lower!.TryGetAsync(key, _shutdown.Token).ConfigureAwait(false);
            if (lease is null)
            {
                promotion.Problem = KvFileProblem.Missing;
                promotion.Detail = "the lower tier no longer holds the entry";
            }
            else if (!lease.Metadata.HasSameShape(metadata))
            {
                promotion.Problem = KvFileProblem.BadHeader;
                promotion.Detail = $"the lower tier holds {lease.Metadata}, expected {metadata}";
            }
            else
            {
                byte[]? staging = null;
                for (int layer = 0; layer < metadata.LayerCount; layer++)
                {
                    if (buffer is HostKvBuffer host)
                    {
                        lease.CopyLayerTo(layer, host.GetWritableLayer(layer));
                    }
                    else if (lease.IsHostResident)
                    {
                        buffer.WriteLayer(layer, lease.GetLayer(layer));
                    }
                    else
                    {
                        staging ??= new byte[metadata.LayerBytes];
                        lease.CopyLayerTo(layer, staging);
                        buffer.WriteLayer(layer, staging);
                    }

                    promotion.Layers[layer].TrySetResult(true);
                }
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException)
        {
            promotion.Problem = KvFileProblem.IoError;
            promotion.Detail = "a store is shutting down";
        }
        finally
        {
            lease?.Dispose();
        }

        FinishPromotion(promotion);
    }

    private void FinishPromotion(DiskPromotion promotion)
    {
        var entry = promotion.Entry;
        var key = entry.Key;
        bool success = promotion.Problem == KvFileProblem.None;
        KvCacheNotice? notice = null;
        lock (_gate)
        {
            _promotions.Remove(key);
            bool fromLower = promotion.Source is null;
            if (success)
            {
                StoreCounters.Add(ref fromLower ? ref _counters.LowerHits : ref _counters.DiskHits, promotion.Joiners);
            }
            else
            {
                StoreCounters.Add(ref _counters.Misses, promotion.Joiners);
            }

            DiskEntry? listed = null;
            bool stillCurrent = !entry.Superseded
                && (fromLower || (_disk.TryGetValue(key, out listed) && ReferenceEquals(listed, promotion.Source)));
            if (success)
            {
                if (stillCurrent && !fromLower)
                {
                    TouchDiskLocked(listed!);
                }

                // Someone may have put a newer copy meanwhile, or the file may have been replaced or removed:
                // then serve what was read to the joined readers, but do not list it.
                if (_disposed || !stillCurrent || _memory.ContainsKey(key) || !AdmitLocked(entry))
                {
                    ReleaseUnlistedLocked(entry);
                }
            }
            else if (fromLower)
            {
                // Not our file: a lower-tier miss is just a miss (the lower store reports its own files).
                ReleaseUnlistedLocked(entry);
            }
            else
            {
                if (promotion.Problem is KvFileProblem.Missing)
                {
                    if (stillCurrent)
                    {
                        UnregisterDiskLocked(listed!);
                    }
                }
                else if (promotion.Problem is KvFileProblem.IoError)
                {
                    // Unlisted but kept: the next lookup recomputes (and may overwrite it); the next
                    // start-up scan looks at the file again.
                    if (stillCurrent)
                    {
                        UnregisterDiskLocked(listed!);
                    }

                    notice = new KvCacheNotice(KvNoticeKind.ReadFailed, key, FilePath(key), promotion.Problem,
                        $"Reading cache file '{FilePath(key)}' failed ({promotion.Detail}); treated as a miss and unlisted (the file is kept).");
                }
                else if (stillCurrent)
                {
                    notice = DiscardBadFileLocked(key, FilePath(key), promotion.Problem, promotion.Detail);
                }

                ReleaseUnlistedLocked(entry);
            }
        }

        // Report before completing, so by the time a reader sees the miss the notice is already out.
        if (notice is not null)
        {
            Notify(notice);
        }

        foreach (var layer in promotion.Layers)
        {
            layer.TrySetResult(false);
        }

        promotion.Completion.TrySetResult(success);
    }
}
