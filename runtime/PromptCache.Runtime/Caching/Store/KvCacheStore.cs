using PromptCache.Runtime.Caching.Keys;
using PromptCache.Runtime.Caching.Memory;

namespace PromptCache.Runtime.Caching.Store;

/// <summary>
/// The tiered K/V cache: a memory tier (host RAM, or device memory through
/// <see cref="KvCacheStoreOptions.MemoryAllocator"/>) above an optional disk directory. Byte budgets
/// per tier, LRU eviction with pins, write-back spill from memory to disk, promotion from disk on
/// access, atomic verified files that survive restarts, and reference-counted leases so eviction
/// never frees bytes a reader holds. Thread-safe; one lock guards the indexes, and no copy, read or
/// write of payload bytes ever happens under it. See Caching/README.md for the policies.
/// </summary>
public sealed partial class KvCacheStore : IDisposable, IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly KvCacheStoreOptions _options;
    private readonly string? _directory;
    private readonly KvCacheStore? _lower;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly StoreCounters _counters = new();

    // Memory tier: listed entries in LRU order (first = least recently used).
    private readonly Dictionary<KvCacheKey, ResidentEntry> _memory = [];
    private readonly LinkedList<ResidentEntry> _memoryLru = new();
    private long _memoryBytes;

    // Evicted from memory, being written to disk: still readable so a lookup never misses in the gap.
    private readonly Dictionary<KvCacheKey, ResidentEntry> _spilling = [];

    // Disk tier.
    private readonly Dictionary<KvCacheKey, DiskEntry> _disk = [];
    private readonly LinkedList<DiskEntry> _diskLru = new();
    private long _diskBytes;

    private readonly Dictionary<KvCacheKey, int> _pins = [];
    private readonly Dictionary<KvCacheKey, PendingWrite> _pendingWrites = [];
    private readonly Dictionary<KvCacheKey, DiskPromotion> _promotions = [];
    private readonly Dictionary<KvCacheKey, Task> _puts = [];
    private readonly HashSet<Task> _background = [];
    private long _retainedBytes;
    private bool _disposed;

    private KvCacheStore(KvCacheStoreOptions options)
    {
        _options = options;
        _directory = options.DiskDirectory is null ? null : Path.GetFullPath(options.DiskDirectory);
        _lower = options.LowerTier;
    }

    /// <summary>
    /// Opens a store. With a disk directory, rebuilds the disk index from the file headers found there
    /// (a restarted service warms from them), removes temp files of interrupted writes, and reports
    /// and removes files whose header fails verification.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    /// <exception cref="IOException">The disk directory cannot be created or listed.</exception>
    public static KvCacheStore Open(KvCacheStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var store = new KvCacheStore(options);
        if (store._directory is not null)
        {
            store.ScanDirectory();
        }

        return store;
    }

    /// <summary>The options the store was opened with.</summary>
    public KvCacheStoreOptions Options => _options;

    /// <summary>The disk tier's full path, or null.</summary>
    public string? DiskDirectory => _directory;

    /// <summary>Where <paramref name="key"/> is stored right now (memory wins over disk), without touching LRU order or counters.</summary>
    public KvTier Locate(KvCacheKey key)
    {
        lock (_gate)
        {
            if (_memory.ContainsKey(key) || _spilling.ContainsKey(key))
            {
                return KvTier.Memory;
            }

            if (_disk.ContainsKey(key))
            {
                return KvTier.Disk;
            }

            // Lock order is always upper store, then lower store; a lower store never calls up.
            return _lower is not null && _lower.Locate(key) != KvTier.None ? KvTier.Lower : KvTier.None;
        }
    }

    /// <summary>Pins <paramref name="key"/>: it is not evicted from either tier while the pin lives. The key need not be stored yet.</summary>
    public KvPin Pin(KvCacheKey key)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            _pins[key] = _pins.GetValueOrDefault(key) + 1;
        }

        return new KvPin(this, key);
    }

    /// <summary>Removes <paramref name="key"/> from every tier (its file is deleted); leases already taken stay valid.</summary>
    /// <returns>True if the key was stored anywhere.</returns>
    public bool Remove(KvCacheKey key)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            bool found = _memory.ContainsKey(key) || _spilling.ContainsKey(key) || _disk.ContainsKey(key) || _pendingWrites.ContainsKey(key)
                || (_lower is not null && _lower.Locate(key) != KvTier.None);
            SupersedeLocked(key);
            return found;
        }
    }

    /// <summary>A snapshot of counters and gauges.</summary>
    public KvCacheCounters GetCounters()
    {
        lock (_gate)
        {
            return _counters.Snapshot() with
            {
                MemoryBytes = _memoryBytes,
                MemoryEntries = _memory.Count,
                RetainedBytes = Interlocked.Read(ref _retainedBytes),
                DiskBytes = _diskBytes,
                DiskEntries = _disk.Count,
                PinnedKeys = _pins.Count,
                PendingWrites = _pendingWrites.Count,
                IndexOverheadBytes = ((long)_memory.Count * KvStoreAccounting.MemoryIndexBytesPerEntry) + ((long)_disk.Count * KvStoreAccounting.DiskIndexBytesPerEntry),
            };
        }
    }

    /// <summary>Waits until every background disk write and load started so far has finished.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task[] pending;
            lock (_gate)
            {
                pending = [.. _background];
            }

            if (pending.Length == 0)
            {
                return;
            }

            await Task.WhenAll(pending).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Finishes pending writes, then releases the memory tier. Outstanding leases stay valid until disposed.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        // Background saves were promised to disk; let them land rather than cancel them.
        await FlushAsync().ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var entry in _memory.Values.ToList())
            {
                UnlistLocked(entry);
                ReleaseUnlistedLocked(entry);
            }
        }

        _shutdown.Cancel();
        _shutdown.Dispose();
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>The metadata of <paramref name="key"/> in any tier of this store or below, without loading it.</summary>
    internal Entries.KvEntryMetadata? PeekMetadata(KvCacheKey key)
    {
        lock (_gate)
        {
            if (_memory.TryGetValue(key, out var entry) || _spilling.TryGetValue(key, out entry))
            {
                return entry.Buffer.Metadata;
            }

            if (_promotions.TryGetValue(key, out var promotion))
            {
                return promotion.Entry.Buffer.Metadata;
            }

            if (_disk.TryGetValue(key, out var file))
            {
                return file.Metadata;
            }

            return _lower?.PeekMetadata(key);
        }
    }

    /// <summary>Whether evicted or persisted entries have somewhere to go.</summary>
    private bool HasNextTier => _directory is not null || _lower is not null;

    /// <summary>Whether the next tier down already holds <paramref name="key"/>.</summary>
    private bool InNextTierLocked(KvCacheKey key) =>
        _directory is not null ? _disk.ContainsKey(key) : _lower is not null && _lower.Locate(key) != KvTier.None;

    internal void Unpin(KvCacheKey key)
    {
        lock (_gate)
        {
            if (_pins.TryGetValue(key, out int count))
            {
                if (count <= 1)
                {
                    _pins.Remove(key);
                }
                else
                {
                    _pins[key] = count - 1;
                }
            }
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void AddRetained(long bytes) => Interlocked.Add(ref _retainedBytes, bytes);

    private void OnEntryFreed(ResidentEntry entry)
    {
        if (entry.IsRetained)
        {
            Interlocked.Add(ref _retainedBytes, -entry.Bytes);
        }
    }

    private ResidentEntry NewEntry(KvCacheKey key, IKvResidentBuffer buffer, KvPersistMode persist) => new(key, buffer, persist, OnEntryFreed);

    private void Notify(KvCacheNotice notice)
    {
        try
        {
            _options.OnNotice?.Invoke(notice);
        }
        catch (Exception)
        {
            // A failing log sink must never break a cache lookup.
        }
    }

    private void TrackLocked(Task task)
    {
        _background.Add(task);
        _ = task.ContinueWith(
            (t, state) =>
            {
                var self = (KvCacheStore)state!;
                lock (self._gate)
                {
                    self._background.Remove(t);
                }
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }
}
