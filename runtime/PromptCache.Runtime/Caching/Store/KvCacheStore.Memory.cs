using PromptCache.Runtime.Caching.Keys;
using PromptCache.Runtime.Caching.Memory;

namespace PromptCache.Runtime.Caching.Store;

// The memory tier's index: admission under the budget, LRU eviction that skips pins, write-back spill.
public sealed partial class KvCacheStore
{
    /// <summary>Takes a lease on a listed (or spilling) entry and marks it most recently used.</summary>
    private bool TryLeaseResidentLocked(KvCacheKey key, out KvLease? lease)
    {
        if (_memory.TryGetValue(key, out var entry))
        {
            _memoryLru.Remove(entry.LruNode!);
            _memoryLru.AddLast(entry.LruNode!);
        }
        else if (!_spilling.TryGetValue(key, out entry))
        {
            lease = null;
            return false;
        }

        entry.AddRef();
        lease = new KvLease(entry, KvTier.Memory);
        return true;
    }

    /// <summary>
    /// Lists <paramref name="entry"/> in the memory tier, evicting least recently used unpinned
    /// entries until it fits. The index takes over the caller's reference. Returns false (and evicts
    /// nothing) when the entry cannot fit even with every unpinned entry gone — unless the entry is
    /// itself pinned: pins win over the budget.
    /// </summary>
    private bool AdmitLocked(ResidentEntry entry)
    {
        long budget = _options.MemoryBudgetBytes;
        bool pinned = _pins.ContainsKey(entry.Key);
        if (_memoryBytes + entry.Bytes > budget)
        {
            long evictable = 0;
            foreach (var listed in _memoryLru)
            {
                if (!_pins.ContainsKey(listed.Key))
                {
                    evictable += listed.Bytes;
                }
            }

            if (!pinned && _memoryBytes - evictable + entry.Bytes > budget)
            {
                return false;
            }

            var node = _memoryLru.First;
            while (node is not null && _memoryBytes + entry.Bytes > budget)
            {
                var next = node.Next;
                if (!_pins.ContainsKey(node.Value.Key))
                {
                    EvictLocked(node.Value);
                }

                node = next;
            }
        }

        // Defensive: a listed older copy of the key must never be orphaned in the LRU list.
        if (_memory.TryGetValue(entry.Key, out var older))
        {
            older.Superseded = true;
            UnlistLocked(older);
            ReleaseUnlistedLocked(older);
        }

        entry.LruNode = _memoryLru.AddLast(entry);
        _memory[entry.Key] = entry;
        _memoryBytes += entry.Bytes;
        return true;
    }

    /// <summary>Evicts one entry: spilled to disk when it is not there yet (write-back), otherwise released.</summary>
    private void EvictLocked(ResidentEntry victim)
    {
        UnlistLocked(victim);
        StoreCounters.Add(ref _counters.MemoryEvictions);
        bool spill = HasNextTier
            && victim.Persist != KvPersistMode.Never
            && !victim.Superseded
            && !InNextTierLocked(victim.Key)
            && !_pendingWrites.ContainsKey(victim.Key);
        victim.MarkRetained(AddRetained);
        if (spill)
        {
            // The index's reference moves to the spill write, which releases it when done.
            _spilling[victim.Key] = victim;
            StoreCounters.Add(ref _counters.Spills);
            _ = StartWriteLocked(victim, isSpill: true);
        }
        else
        {
            victim.Release();
        }
    }

    private void UnlistLocked(ResidentEntry entry)
    {
        _memory.Remove(entry.Key);
        _memoryLru.Remove(entry.LruNode!);
        entry.LruNode = null;
        _memoryBytes -= entry.Bytes;
    }

    /// <summary>Drops the index's reference of an entry already unlisted.</summary>
    private void ReleaseUnlistedLocked(ResidentEntry entry)
    {
        entry.MarkRetained(AddRetained);
        entry.Release();
    }

    /// <summary>
    /// Makes every stored version of <paramref name="key"/> invisible: the memory entry is released,
    /// a spilling or queued write is marked superseded (so it will not publish), and the file is deleted.
    /// </summary>
    private void SupersedeLocked(KvCacheKey key)
    {
        if (_memory.TryGetValue(key, out var listed))
        {
            listed.Superseded = true;
            UnlistLocked(listed);
            ReleaseUnlistedLocked(listed);
        }

        if (_spilling.Remove(key, out var spilling))
        {
            spilling.Superseded = true;
        }

        if (_pendingWrites.TryGetValue(key, out var pending))
        {
            pending.Source.Superseded = true;
        }

        if (_promotions.TryGetValue(key, out var promotion))
        {
            promotion.Entry.Superseded = true;
        }

        if (_disk.TryGetValue(key, out var file))
        {
            DeleteDiskEntryLocked(file);
        }

        _lower?.Remove(key);
    }
}
