using System.Globalization;
using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Keys;
using PromptCache.Runtime.Caching.Memory;
using PromptCache.Runtime.Caching.Persistence;

namespace PromptCache.Runtime.Caching.Store;

// The disk tier: start-up scan, atomic writes, LRU deletion under the budget, bad-file handling.
public sealed partial class KvCacheStore
{
    private const string QuarantineFolder = "quarantine";

    /// <summary>Rebuilds the disk index from file headers (no payload is read: that is verified on first use).</summary>
    private void ScanDirectory()
    {
        Directory.CreateDirectory(_directory!);
        var notices = new List<KvCacheNotice>();
        var found = new List<(DiskEntry Entry, DateTime WrittenUtc)>();
        foreach (string path in Directory.EnumerateFiles(_directory!))
        {
            string name = Path.GetFileName(path);
            if (name.EndsWith(KvFileFormat.TempExtension, StringComparison.Ordinal))
            {
                // A write that never reached its rename: by construction not an entry.
                TryDeleteFile(path);
                StoreCounters.Add(ref _counters.StaleTempFilesRemoved);
                notices.Add(new KvCacheNotice(KvNoticeKind.StaleTempFileRemoved, null, path, KvFileProblem.None,
                    $"Removed '{path}', left by a cache write that was interrupted before it was published."));
                continue;
            }

            if (!name.EndsWith(KvFileFormat.Extension, StringComparison.Ordinal) ||
                !KvCacheKey.TryParse(name.AsSpan(0, name.Length - KvFileFormat.Extension.Length), out var nameKey))
            {
                continue; // Not ours; leave foreign files alone.
            }

            var problem = KvFileReader.TryReadHeader(path, out var header, out string detail);
            if (problem == KvFileProblem.None && header!.Key != nameKey)
            {
                problem = KvFileProblem.KeyMismatch;
                detail = $"header key {header.Key} does not match the file name";
            }

            if (problem == KvFileProblem.Missing)
            {
                continue;
            }

            if (problem != KvFileProblem.None)
            {
                lock (_gate)
                {
                    notices.Add(DiscardBadFileLocked(nameKey, path, problem, detail));
                }

                continue;
            }

            found.Add((new DiskEntry(nameKey, header!.FileLength, header.Metadata), File.GetLastWriteTimeUtc(path)));
        }

        lock (_gate)
        {
            // Oldest first, so the least recently written file is the first to go under budget pressure.
            foreach (var (entry, _) in found.OrderBy(f => f.WrittenUtc))
            {
                RegisterDiskLocked(entry);
            }

            EnforceDiskBudgetLocked(keep: null);
        }

        notices.ForEach(Notify);
    }

    /// <summary>Queues a write of <paramref name="source"/> (the caller hands over one reference).</summary>
    private PendingWrite StartWriteLocked(ResidentEntry source, bool isSpill)
    {
        var previous = _pendingWrites.GetValueOrDefault(source.Key);
        var pending = new PendingWrite(source.Key, source, isSpill);
        _pendingWrites[source.Key] = pending;
        TrackLocked(pending.Completion);

        // Always off this thread: the caller holds the lock, and no part of a write may run under it.
        _ = Task.Run(() => RunWriteAsync(previous?.Completion, pending), CancellationToken.None);
        return pending;
    }

    private async Task RunWriteAsync(Task<bool>? previous, PendingWrite pending)
    {
        bool published = false;
        KvCacheNotice? notice = null;
        try
        {
            if (previous is not null)
            {
                await previous.ConfigureAwait(false);
            }

            (published, notice) = _lower is null ? WriteFile(pending) : await WriteToLowerAsync(pending).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                if (_pendingWrites.TryGetValue(pending.Key, out var current) && ReferenceEquals(current, pending))
                {
                    _pendingWrites.Remove(pending.Key);
                }

                if (pending.IsSpill && _spilling.TryGetValue(pending.Key, out var spilling) && ReferenceEquals(spilling, pending.Source))
                {
                    _spilling.Remove(pending.Key);
                }
            }

            pending.Source.Release();
            if (notice is not null)
            {
                Notify(notice);
            }

            pending.Finish(published);
        }
    }

    private (bool Published, KvCacheNotice? Notice) WriteFile(PendingWrite pending)
    {
        var key = pending.Key;
        var metadata = pending.Source.Buffer.Metadata;
        long fileBytes = KvStoreAccounting.DiskFootprint(metadata);
        if (fileBytes > _options.DiskBudgetBytes)
        {
            return (false, new KvCacheNotice(KvNoticeKind.Rejected, key, null, KvFileProblem.None,
                $"Cache entry {key} ({metadata}) needs {fileBytes} bytes on disk but the disk budget is {_options.DiskBudgetBytes}; not persisted."));
        }

        lock (_gate)
        {
            if (pending.Source.Superseded)
            {
                return (false, null);
            }
        }

        string finalPath = FilePath(key);
        string tempPath = Path.Combine(_directory!, string.Create(CultureInfo.InvariantCulture, $"{key}.{Guid.NewGuid():N}{KvFileFormat.TempExtension}"));
        try
        {
            long written = KvFileWriter.WriteTemp(tempPath, key, pending.Source.Buffer, _shutdown.Token);
            lock (_gate)
            {
                if (pending.Source.Superseded)
                {
                    TryDeleteFile(tempPath);
                    return (false, null);
                }

                // Publishing under the lock keeps the rename and the index in step with deletions.
                File.Move(tempPath, finalPath, overwrite: true);
                if (_disk.TryGetValue(key, out var old))
                {
                    UnregisterDiskLocked(old);
                }

                RegisterDiskLocked(new DiskEntry(key, written, metadata));
                EnforceDiskBudgetLocked(keep: key);
            }

            StoreCounters.Add(ref _counters.BytesWritten, written);
            return (true, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            TryDeleteFile(tempPath);
            StoreCounters.Add(ref _counters.WriteFailures);
            return (false, new KvCacheNotice(KvNoticeKind.WriteFailed, key, finalPath, KvFileProblem.None,
                $"Writing cache entry {key} ({metadata}) to '{finalPath}' failed: {e.Message}"));
        }
    }

    /// <summary>Persists (or spills) into the lower store: its memory first, its disk as its own policy says.</summary>
    private async Task<(bool Published, KvCacheNotice? Notice)> WriteToLowerAsync(PendingWrite pending)
    {
        var key = pending.Key;
        var source = pending.Source;
        lock (_gate)
        {
            if (source.Superseded)
            {
                return (false, null);
            }
        }

        try
        {
            // Module bytes never change for a key; a session's newer turn must replace the older one below.
            var options = new KvPutOptions { Persist = source.Persist, Replace = source.Buffer.Metadata.Kind == KvEntryKind.Session };
            var result = await _lower!.PutAsync(key, source.Buffer, options, _shutdown.Token).ConfigureAwait(false);
            lock (_gate)
            {
                if (source.Superseded)
                {
                    // Replaced or removed while it was being copied down: do not leave a stale version there.
                    _lower.Remove(key);
                    return (false, null);
                }
            }

            return (result.Outcome != KvPutOutcome.Rejected, null);
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException or IOException or OutOfMemoryException)
        {
            StoreCounters.Add(ref _counters.WriteFailures);
            return (false, new KvCacheNotice(KvNoticeKind.WriteFailed, key, null, KvFileProblem.None,
                $"Copying cache entry {key} ({source.Buffer.Metadata}) down to the lower tier failed: {e.Message}"));
        }
    }

    private void RegisterDiskLocked(DiskEntry entry)
    {
        _disk[entry.Key] = entry;
        entry.LruNode = _diskLru.AddLast(entry);
        _diskBytes += entry.FileBytes;
    }

    private void UnregisterDiskLocked(DiskEntry entry)
    {
        _disk.Remove(entry.Key);
        _diskLru.Remove(entry.LruNode!);
        entry.LruNode = null;
        _diskBytes -= entry.FileBytes;
    }

    private void TouchDiskLocked(DiskEntry entry)
    {
        if (entry.LruNode is not null)
        {
            _diskLru.Remove(entry.LruNode);
            _diskLru.AddLast(entry.LruNode);
        }
    }

    private void DeleteDiskEntryLocked(DiskEntry entry)
    {
        UnregisterDiskLocked(entry);
        TryDeleteFile(FilePath(entry.Key));
    }

    /// <summary>Deletes least recently used unpinned files until the disk tier is within budget.</summary>
    private void EnforceDiskBudgetLocked(KvCacheKey? keep)
    {
        var node = _diskLru.First;
        while (node is not null && _diskBytes > _options.DiskBudgetBytes)
        {
            var next = node.Next;
            var entry = node.Value;
            if (!_pins.ContainsKey(entry.Key) && entry.Key != keep && !_promotions.ContainsKey(entry.Key))
            {
                DeleteDiskEntryLocked(entry);
                StoreCounters.Add(ref _counters.DiskEvictions);
            }

            node = next;
        }
    }

    /// <summary>Removes a file that failed verification from the index and from the directory (or moves it to quarantine).</summary>
    private KvCacheNotice DiscardBadFileLocked(KvCacheKey key, string path, KvFileProblem problem, string detail)
    {
        if (_disk.TryGetValue(key, out var listed) && path == FilePath(key))
        {
            UnregisterDiskLocked(listed);
        }

        string action = "deleted";
        if (_options.QuarantineCorruptFiles)
        {
            try
            {
                string folder = Path.Combine(_directory!, QuarantineFolder);
                Directory.CreateDirectory(folder);
                string target = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(path)}.{DateTime.UtcNow:yyyyMMddHHmmssfff}.bad"));
                File.Move(path, target, overwrite: true);
                action = $"moved to '{target}'";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                TryDeleteFile(path);
            }
        }
        else
        {
            TryDeleteFile(path);
        }

        StoreCounters.Add(ref _counters.CorruptFilesDetected);
        return new KvCacheNotice(KvNoticeKind.CorruptFile, key, path, problem,
            $"Cache file '{path}' failed verification ({problem}: {detail}); {action} and treated as a miss, so the entry will be recomputed.");
    }

    /// <summary>Where the file of <paramref name="key"/> lives.</summary>
    private string FilePath(KvCacheKey key) => Path.Combine(_directory!, KvFileFormat.FileName(key));

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a file we cannot delete is no longer listed, so it is never read.
        }
    }

    /// <summary>Copies <paramref name="source"/> into a new resident buffer, layer by layer.</summary>
    private IKvResidentBuffer CopyIntoNewBuffer(IKvBlob source, CancellationToken cancellationToken)
    {
        var metadata = source.Metadata;
        var buffer = _options.MemoryAllocator.Allocate(metadata);
        try
        {
            byte[]? staging = null;
            for (int layer = 0; layer < metadata.LayerCount; layer++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (buffer is HostKvBuffer host)
                {
                    source.CopyLayerTo(layer, host.GetWritableLayer(layer));
                }
                else if (source is IKvHostBlob hostSource)
                {
                    buffer.WriteLayer(layer, hostSource.GetLayer(layer));
                }
                else
                {
                    staging ??= new byte[metadata.LayerBytes];
                    source.CopyLayerTo(layer, staging);
                    buffer.WriteLayer(layer, staging);
                }
            }

            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }
}
