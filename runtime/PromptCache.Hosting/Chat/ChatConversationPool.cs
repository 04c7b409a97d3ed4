using PromptCache.Engine;
using PromptCache.Pml.Requests;

namespace PromptCache.Hosting;

/// <summary>One live engine conversation the chat client may continue, and the chat it holds.</summary>
internal sealed class ChatSession(string? conversationId)
{
    /// <summary>The caller's <c>ChatOptions.ConversationId</c>, or null for a session found by its transcript.</summary>
    public string? ConversationId { get; } = conversationId;

    /// <summary>Null only while a session reserved under a conversation id is being started.</summary>
    public PromptConversation? Conversation { get; set; }

    /// <summary>
    /// Every part the conversation has computed, in order: instructions and messages as the caller sent them
    /// and each answer exactly as this client returned it. A request continues the session only when its
    /// parts start with these.
    /// </summary>
    public IReadOnlyList<PromptSuffixPart> Transcript { get; set; } = [];

    /// <summary>The <c>ChatOptions.Instructions</c> in effect (conversation-id sessions: later turns add a system part when they change).</summary>
    public string? Instructions { get; set; }

    internal long LastUse { get; set; }

    internal bool Busy { get; set; }

    internal TaskCompletionSource? Released { get; set; }
}

/// <summary>
/// The chat client's bounded set of live conversations, least recently used first out. A session being used
/// by a turn is <i>taken</i> (busy): no other request can find it by transcript, a request with its
/// conversation id waits for it, and it is never evicted; it comes back (or is disposed) on <see cref="Release"/>.
/// </summary>
internal sealed class ChatConversationPool(int capacity) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<ChatSession> _sessions = [];
    private long _clock;
    private bool _disposed;

    /// <summary>Sessions held (busy ones included).</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _sessions.Count;
        }
    }

    /// <summary>The sessions held now, for tests and diagnostics.</summary>
    public IReadOnlyList<ChatSession> Snapshot()
    {
        lock (_gate) return [.. _sessions];
    }

    /// <summary>
    /// Takes the idle transcript-keyed session whose transcript is the longest strict prefix of <paramref name="chat"/>
    /// (at least one new part must follow it), or returns null. A busy match is skipped: the caller starts a new one.
    /// </summary>
    public ChatSession? TakeByTranscript(IReadOnlyList<PromptSuffixPart> chat)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ChatSession? best = null;
            foreach (var session in _sessions)
            {
                if (session.Busy || session.ConversationId is not null) continue;
                var transcript = session.Transcript;
                if (transcript.Count >= chat.Count || (best is not null && transcript.Count <= best.Transcript.Count)) continue;
                if (StartsWith(chat, transcript)) best = session;
            }
            if (best is not null) best.Busy = true;
            return best;
        }
    }

    /// <summary>
    /// Takes the session named <paramref name="conversationId"/>, waiting while a turn runs on it (turns of one
    /// named conversation are serialised in arrival order). When none exists, reserves a busy placeholder under that
    /// name (Created = true): the caller starts its conversation, then releases it.
    /// </summary>
    public async Task<(ChatSession Session, bool Created)> TakeOrReserveAsync(string conversationId, CancellationToken ct)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                var session = _sessions.Find(s => s.ConversationId == conversationId);
                if (session is null)
                {
                    session = new ChatSession(conversationId) { Busy = true };
                    _sessions.Add(session);
                    return (session, true);
                }
                if (!session.Busy)
                {
                    session.Busy = true;
                    return (session, false);
                }
                wait = (session.Released ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
            await wait.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends a turn: <paramref name="keep"/> puts the session back (most recently used; a transcript twin is dropped)
    /// and evicts the least recently used idle sessions beyond the capacity; otherwise the session is removed and its
    /// conversation disposed (which removes its store entry).
    /// </summary>
    public void Release(ChatSession session, bool keep)
    {
        var dispose = new List<PromptConversation>();
        TaskCompletionSource? released;
        lock (_gate)
        {
            session.Busy = false;
            released = session.Released;
            session.Released = null;
            if (keep && !_disposed && session.Conversation is not null)
            {
                if (!_sessions.Contains(session)) _sessions.Add(session);
                session.LastUse = ++_clock;
                // Two concurrent requests on one history end with equal transcripts: keep only the newer one.
                if (session.ConversationId is null)
                    Remove(s => s != session && !s.Busy && s.ConversationId is null && SameParts(s.Transcript, session.Transcript), dispose);
                Trim(dispose);
            }
            else
            {
                _sessions.Remove(session);
                if (session.Conversation is { } conversation) dispose.Add(conversation);
            }
        }
        released?.TrySetResult();
        foreach (var conversation in dispose) conversation.Dispose();
    }

    /// <summary>Disposes every idle session; a busy one is disposed when its turn releases it.</summary>
    public void Dispose()
    {
        var dispose = new List<PromptConversation>();
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            Remove(s => !s.Busy, dispose);
        }
        foreach (var conversation in dispose) conversation.Dispose();
    }

    private void Trim(List<PromptConversation> dispose)
    {
        while (_sessions.Count > capacity)
        {
            ChatSession? oldest = null;
            foreach (var s in _sessions)
                if (!s.Busy && (oldest is null || s.LastUse < oldest.LastUse)) oldest = s;
            if (oldest is null) return;   // all busy: trimmed when they come back
            _sessions.Remove(oldest);
            if (oldest.Conversation is { } conversation) dispose.Add(conversation);
        }
    }

    private void Remove(Predicate<ChatSession> match, List<PromptConversation> dispose)
    {
        for (int i = _sessions.Count - 1; i >= 0; i--)
        {
            var s = _sessions[i];
            if (!match(s)) continue;
            _sessions.RemoveAt(i);
            if (s.Conversation is { } conversation) dispose.Add(conversation);
        }
    }

    private static bool StartsWith(IReadOnlyList<PromptSuffixPart> chat, IReadOnlyList<PromptSuffixPart> prefix)
    {
        for (int i = 0; i < prefix.Count; i++)
            if (!chat[i].Equals(prefix[i])) return false;
        return true;
    }

    private static bool SameParts(IReadOnlyList<PromptSuffixPart> a, IReadOnlyList<PromptSuffixPart> b) => a.Count == b.Count && StartsWith(a, b);
}
