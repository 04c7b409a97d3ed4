using System.Collections.Concurrent;
using PromptCache.Engine.Caching;
using PromptCache.Engine.Conversations;
using PromptCache.Pml.Requests;
using PromptCache.Runtime.Caching.Sessions;
using PromptCache.Runtime.Caching.Store;
using PromptCache.Runtime.Inference;

namespace PromptCache.Engine;

// Conversations: sessions whose K/V lives in the engine's store between turns (AttentionStore).
public sealed partial class PromptCacheEngine
{
    // Session ids of live conversations: two conversations sharing an id would overwrite each other's entry.
    private readonly ConcurrentDictionary<string, byte> _liveSessions = new(StringComparer.Ordinal);

    /// <summary>
    /// Starts a conversation whose first turn is <paramref name="request"/>, with explicit settings (overflow
    /// policy, how its K/V reaches disk, its session id).
    /// </summary>
    /// <exception cref="ArgumentException"><see cref="ConversationOptions.SessionId"/> is already used by a live conversation.</exception>
    public PromptConversation StartConversation(PromptRequest request, ConversationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new PromptConversation(this, Entry(request.SchemaName).Schema, Plan(request), options);
    }

    internal Task<ForwardResult> ConversationForwardAsync(int[] ids, int[] positions, IReadOnlyList<KvSegment> context, KvSegment? output,
        LogitsMode logits, CancellationToken ct) => ForwardAsync(ids, positions, context, output, logits, ct);

    internal KvSessionStore SessionStore(KvPersistMode persist) =>
        new(Store, ModelIdentity, TokenizerIdentity, KvSegmentBytes.ElementType(Options.KvDataType), Options.TenantSalt) { Persist = persist };

    internal bool RegisterSession(string sessionId) => _liveSessions.TryAdd(sessionId, 0);

    internal void UnregisterSession(string sessionId) => _liveSessions.TryRemove(sessionId, out _);

    internal void ConversationLog(string message) => Log(message);

    // Session loads, disk reloads and recomputations reach GetCounters() and the engine's meter.
    internal void ConversationTurnCompleted(ConversationTurnInfo turn) => _metrics.ConversationTurn(turn);
}
