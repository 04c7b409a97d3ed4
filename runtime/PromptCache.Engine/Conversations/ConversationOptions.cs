using PromptCache.Runtime.Caching.Store;

namespace PromptCache.Engine.Conversations;

/// <summary>What a conversation does when a turn would pass the model's context window.</summary>
public enum ConversationOverflow
{
    /// <summary>Fail the turn with a <see cref="PromptCacheException"/> naming the token counts and the limit (the default).</summary>
    Throw,

    /// <summary>
    /// Drop the oldest whole turns of the history (never the schema's modules, arguments or the current turn),
    /// shift the remaining history down to close the gap and re-rotate its keys; no token is recomputed.
    /// </summary>
    TruncateOldestTurns,
}

/// <summary>Settings of one <see cref="PromptConversation"/>.</summary>
public sealed record ConversationOptions
{
    /// <summary>The defaults: throw on overflow, spill to disk only under memory pressure.</summary>
    public static ConversationOptions Default { get; } = new();

    /// <summary>What a turn that would pass the context window does.</summary>
    public ConversationOverflow Overflow { get; init; } = ConversationOverflow.Throw;

    /// <summary>
    /// When the session's store entry reaches the disk tier. <see cref="KvPersistMode.OnEviction"/> (the default)
    /// writes it only when memory pressure evicts it, which is the only time it is needed: a conversation object
    /// does not survive a restart. <see cref="KvPersistMode.Never"/> keeps it in memory only (an evicted session
    /// is then recomputed from its tokens).
    /// </summary>
    public KvPersistMode Persist { get; init; } = KvPersistMode.OnEviction;

    /// <summary>
    /// A context window smaller than the model's, e.g. to bound a session's memory (positions, schema included);
    /// null uses the model's context length. Overflow against it is handled by <see cref="Overflow"/>.
    /// </summary>
    public int? MaxPositions { get; init; }

    /// <summary>
    /// The session's id inside the store (scoped by model, tokenizer, dtype and the engine's tenant salt). Null
    /// gives a fresh GUID. Two live conversations of one engine may not share an id.
    /// </summary>
    public string? SessionId { get; init; }
}
