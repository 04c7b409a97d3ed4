using PromptCache.Engine;
using PromptCache.Engine.Conversations;
using PromptCache.Pml.Requests;
using PromptCache.Runtime.Generation;

namespace PromptCache.Hosting;

/// <summary>
/// One chat request on an engine conversation: finds (or starts) the conversation, adds the new messages, and at the
/// end decides whether the conversation may be continued by the next request or must be dropped.
/// </summary>
internal sealed class ChatTurn
{
    private readonly ChatConversationPool _pool;
    private readonly IReadOnlyList<PromptSuffixPart> _transcript;

    private ChatTurn(ChatConversationPool pool, ChatSession session, IReadOnlyList<PromptSuffixPart> transcript, bool reused)
    {
        _pool = pool;
        Session = session;
        Conversation = session.Conversation!;
        _transcript = transcript;
        Reused = reused;
    }

    public ChatSession Session { get; }

    public PromptConversation Conversation { get; }

    /// <summary>True when the turn continues an earlier conversation (false: a new one started).</summary>
    public bool Reused { get; }

    /// <summary>Set by <see cref="End"/>: the conversation was put back for the next request.</summary>
    public bool Kept { get; private set; }

    /// <summary>Takes the conversation the request continues, or starts one; the turn holds it until <see cref="End"/>.</summary>
    public static async Task<ChatTurn> BeginAsync(PromptCacheEngine engine, ChatConversationPool pool, ChatParts chat, string? conversationId,
        string schemaName, ConversationOptions options, CancellationToken ct)
    {
        if (conversationId is not null)
        {
            var (session, created) = await pool.TakeOrReserveAsync(conversationId, ct).ConfigureAwait(false);
            bool keep = false;
            try
            {
                if (created)
                {
                    session.Conversation = Start(engine, schemaName, chat.All, options with { SessionId = conversationId });
                    session.Instructions = chat.Instructions;
                    return new ChatTurn(pool, session, chat.All, reused: false);
                }
                // The messages are the new turn only; changed instructions join it as a system part.
                var parts = new List<PromptSuffixPart>();
                if (chat.Instructions is { } instructions && instructions != session.Instructions) parts.Add(PromptSuffixPart.System(instructions));
                parts.AddRange(chat.Messages);
                if (parts.Count == 0)
                {
                    keep = true;   // a caller's mistake must not cost the conversation
                    throw new ArgumentException($"Conversation '{conversationId}': the request adds no message to answer.", "messages");
                }
                session.Conversation!.Add([.. parts]);
                session.Instructions = chat.Instructions ?? session.Instructions;
                return new ChatTurn(pool, session, [.. session.Transcript, .. parts], reused: true);
            }
            catch
            {
                pool.Release(session, keep);
                throw;
            }
        }

        if (pool.TakeByTranscript(chat.All) is { } found)
        {
            try
            {
                found.Conversation!.Add([.. chat.All.Skip(found.Transcript.Count)]);
            }
            catch
            {
                pool.Release(found, keep: false);
                throw;
            }
            return new ChatTurn(pool, found, chat.All, reused: true);
        }
        var fresh = new ChatSession(null) { Busy = true, Conversation = Start(engine, schemaName, chat.All, options) };
        return new ChatTurn(pool, fresh, chat.All, reused: false);
    }

    /// <summary>
    /// Ends the turn: keeps the conversation only when the caller's next request can describe exactly what the model
    /// holds (see <see cref="PromptCacheChatClient"/>'s remarks), otherwise disposes it. Returns the history tokens the
    /// turn had to recompute (not reused, though the engine counts them as context).
    /// </summary>
    public int End(PromptCacheEngine engine, bool completed, PromptRunStats stats, string answer)
    {
        bool answered = stats.TimeToFirstToken > TimeSpan.Zero;
        int recomputed = answered && Conversation.LastTurn is { } last ? last.RecomputedTokens : 0;
        Kept = completed && answered
            && stats.StopReason is StopReason.StopToken or StopReason.MaxTokens
            && EncodesToSampledTokens(engine, stats, answer);
        if (Kept) Session.Transcript = [.. _transcript, PromptSuffixPart.Assistant(answer)];
        _pool.Release(Session, Kept);
        return recomputed;
    }

    // The plain path would encode the answer's text; the conversation holds the sampled tokens. Continuing is only the
    // same chat when the two agree (a stray special token, a split UTF-8 character or a non-canonical split do not).
    private bool EncodesToSampledTokens(PromptCacheEngine engine, PromptRunStats stats, string answer)
    {
        int count = stats.GeneratedTokens - (stats.StopReason == StopReason.StopToken ? 1 : 0);
        var history = Conversation.HistoryIds;
        if (count < 0 || count > history.Count) return false;
        var encoded = engine.Tokenizer.EncodeToIds(answer, addSpecialTokens: false);
        if (encoded.Count != count) return false;
        int start = history.Count - count;
        for (int i = 0; i < count; i++)
            if (encoded[i] != history[start + i]) return false;
        return true;
    }

    private static PromptConversation Start(PromptCacheEngine engine, string schemaName, IReadOnlyList<PromptSuffixPart> parts, ConversationOptions options)
    {
        var request = new PromptRequest(schemaName, "", [], [.. parts]);
        try
        {
            return engine.StartConversation(request, options);
        }
        catch (ArgumentException) when (options.SessionId is not null)
        {
            // The id is taken by a live conversation of another client on this engine: the store key need not be the name.
            return engine.StartConversation(request, options with { SessionId = null });
        }
    }
}
