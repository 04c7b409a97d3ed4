using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Keys;
using PromptCache.Runtime.Caching.Store;

namespace PromptCache.Runtime.Caching.Sessions;

/// <summary>
/// Conversation K/V across turns (AttentionStore): one entry per session id, replaced each turn,
/// saved to memory at once and to disk in the background, spilled to disk under memory pressure and
/// reloaded (whole or layer by layer) on the next turn. Keys are stored before RoPE — the engine
/// re-rotates them after truncating an overflowing history — so this class refuses entries whose
/// keys already carry RoPE.
/// </summary>
public sealed class KvSessionStore
{
    private readonly KvCacheStore _store;
    private readonly string _modelIdentity;
    private readonly string _tokenizerIdentity;
    private readonly KvElementType _elementType;
    private readonly string? _tenantSalt;

    /// <summary>Scopes sessions to one model, tokenizer, dtype and (optionally) tenant inside <paramref name="store"/>.</summary>
    public KvSessionStore(KvCacheStore store, string modelIdentity, string tokenizerIdentity, KvElementType elementType, string? tenantSalt = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(modelIdentity);
        ArgumentException.ThrowIfNullOrEmpty(tokenizerIdentity);
        _store = store;
        _modelIdentity = modelIdentity;
        _tokenizerIdentity = tokenizerIdentity;
        _elementType = elementType;
        _tenantSalt = tenantSalt;
    }

    /// <summary>How turns reach disk; background write-behind by default.</summary>
    public KvPersistMode Persist { get; init; } = KvPersistMode.Background;

    /// <summary>The cache key of <paramref name="sessionId"/>.</summary>
    public KvCacheKey KeyFor(string sessionId)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        return new KvSessionKeyParts(_modelIdentity, _tokenizerIdentity, _elementType, sessionId, _tenantSalt).ToKey();
    }

    /// <summary>
    /// Saves the session's K/V after a turn, replacing the previous turn's. Completes once the bytes
    /// are copied into memory; the disk write continues in the background (unless <see cref="Persist"/> says otherwise).
    /// </summary>
    /// <exception cref="ArgumentException">The entry is not a pre-RoPE session entry of this store's dtype.</exception>
    public ValueTask<KvPutResult> SaveAsync(string sessionId, IKvBlob state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        var metadata = state.Metadata;
        if (metadata.Kind != KvEntryKind.Session || metadata.RopeApplied)
        {
            throw new ArgumentException($"Session '{sessionId}' must be saved as a Session entry with keys before RoPE; got {metadata.Kind} with RopeApplied={metadata.RopeApplied}.", nameof(state));
        }

        if (metadata.ElementType != _elementType)
        {
            throw new ArgumentException($"Session '{sessionId}' holds {metadata.ElementType} K/V but this session store is scoped to {_elementType}.", nameof(state));
        }

        return _store.PutAsync(KeyFor(sessionId), state, new KvPutOptions { Persist = Persist, Replace = true }, cancellationToken);
    }

    /// <summary>Loads the session's K/V (memory, else disk); null when there is none (a first turn, or a corrupt file).</summary>
    public ValueTask<KvLease?> TryLoadAsync(string sessionId, CancellationToken cancellationToken = default) =>
        _store.TryGetAsync(KeyFor(sessionId), cancellationToken);

    /// <summary>Starts a layer-by-layer load of the session so the next turn's prefill can overlap it; null when there is none.</summary>
    public KvLayerwiseLoad? BeginLayerwiseLoad(string sessionId) => _store.BeginLayerwiseLoad(KeyFor(sessionId));

    /// <summary>Forgets the session in every tier.</summary>
    public bool Remove(string sessionId) => _store.Remove(KeyFor(sessionId));
}
