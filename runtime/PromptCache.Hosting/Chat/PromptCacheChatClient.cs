using System.Runtime.CompilerServices;
using System.Security;
using System.Text;
using Microsoft.Extensions.AI;
using PromptCache.Engine;
using PromptCache.Engine.Conversations;
using PromptCache.Pml.Requests;
using PromptCache.Runtime.Generation;

namespace PromptCache.Hosting;

/// <summary>
/// An <see cref="IChatClient"/> over a PromptCache engine, for plain chat. The client warms one small
/// internal schema (holding <see cref="PromptCacheChatClientOptions.SystemPrompt"/>, which is therefore
/// computed once and reused) and keeps the chat in engine conversations, so that each turn computes only
/// its new messages.
/// </summary>
/// <remarks>
/// <para><b>Conversation reuse.</b> Over a <see cref="HostedPromptCache"/> or a <see cref="PromptCacheEngine"/>, the
/// client keeps up to <see cref="PromptCacheChatClientOptions.MaxConversations"/> live engine conversations
/// (<see cref="PromptConversation"/>: their K/V lives in the engine's store, may spill to disk, and is removed when
/// the conversation is disposed). Each is keyed by its transcript: <c>ChatOptions.Instructions</c> (as a system part),
/// every message's role and text, and each answer exactly as this client returned it. A typical caller sends the whole
/// history each time; when a request's messages start with a live transcript (exact role and text, the assistant
/// message equal to the answer produced) and add at least one message, the conversation continues with only the new
/// messages; otherwise a new one starts. The least recently used idle conversation beyond the limit is disposed.</para>
/// <para><b>Same tokens as a recompute.</b> A conversation is kept after a turn only when the caller's next request
/// will describe exactly what the model holds: the answer ran to its end (an end-of-turn or end token, or
/// <c>MaxOutputTokens</c>), was not cut by a stop sequence, the consumer read the whole stream, no error or cancellation
/// happened, and the answer's text encodes back to the very tokens the model sampled (so continuing is token for token
/// the chat a full recompute would see). Otherwise it is disposed and the next request starts fresh. A request whose
/// matching conversation is busy with another turn starts a new conversation instead of waiting or failing.</para>
/// <para><b><c>ChatOptions.ConversationId</c>.</b> When set, it names the conversation (and, when free, is its session
/// id in the store) and the messages are taken as <i>the new turn only</i>: an unknown id starts a conversation with
/// them as its whole history, a known one continues with them (turns on one id are serialised in arrival order;
/// instructions that differ from the ones in effect are added as a system part). The final update of a response carries
/// the id back when the conversation was kept; a response without it (the turn ended early, see above) means the
/// conversation is gone: send the whole history next time. An evicted conversation is forgotten the same way, without
/// an error, so size <see cref="PromptCacheChatClientOptions.MaxConversations"/> for the callers that use ids.
/// Over another <see cref="IPromptCache"/>, or with <c>MaxConversations = 0</c>, ids are ignored and never returned.</para>
/// <para><b>Other caches.</b> Over any other <see cref="IPromptCache"/> (or with reuse off) every call computes the
/// whole chat after the schema as the request's role-tagged suffix.</para>
/// <para><b>Usage.</b> <c>CachedInputTokenCount</c> counts the schema's cached tokens plus the reused history (tokens
/// recomputed because the session had left the store are not counted as cached); <c>InputTokenCount</c> is the
/// whole prompt, the same on both paths.</para>
/// <para>Supported <see cref="ChatOptions"/>: <c>Instructions</c> (a system part ahead of the messages),
/// <c>MaxOutputTokens</c>, <c>Temperature</c> (default 0: greedy), <c>TopP</c>, <c>TopK</c>, <c>Seed</c>
/// (folded to 32 bits), <c>StopSequences</c> (the text is cut before the first one) and <c>ConversationId</c>.
/// Tools, response formats and non-text content are not supported: messages with roles other than system, user and
/// assistant, or with non-text content, are rejected with <see cref="NotSupportedException"/>.</para>
/// </remarks>
public sealed class PromptCacheChatClient : IChatClient
{
    private readonly IPromptCache _cache;
    private readonly PromptCacheChatClientOptions _options;
    private readonly PromptSchemaSource _schema;
    private readonly ChatClientMetadata _metadata;
    private readonly ChatConversationPool _pool;
    private readonly Lock _gate = new();
    private Task? _warm;

    /// <summary>Creates a chat client over <paramref name="cache"/> (not owned: disposing the client leaves it alone).</summary>
    public PromptCacheChatClient(IPromptCache cache, PromptCacheChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _cache = cache;
        _options = options ?? new PromptCacheChatClientOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(_options.DefaultMaxOutputTokens, "options.DefaultMaxOutputTokens");
        ArgumentOutOfRangeException.ThrowIfNegative(_options.MaxConversations, "options.MaxConversations");
        if (!Enum.IsDefined(_options.Overflow)) throw new ArgumentOutOfRangeException("options.Overflow", _options.Overflow, "Unknown overflow policy.");
        string system = _options.SystemPrompt is { } prompt ? $"<system>{SecurityElement.Escape(prompt)}</system>" : "";
        _schema = new PromptSchemaSource($"<schema name=\"{SecurityElement.Escape(_options.SchemaName)}\">{system}</schema>", _options.SchemaName + ".pml");
        _metadata = new ChatClientMetadata("promptcache", defaultModelId: _options.ModelId);
        _pool = new ChatConversationPool(_options.MaxConversations);
    }

    /// <summary>
    /// The key of a bool in the final update's <c>AdditionalProperties</c> (which <c>ToChatResponse</c> puts on the answer
    /// message's <c>AdditionalProperties</c>), present when the
    /// call ran on an engine conversation: true when it continued an earlier one, false when it started a new one.
    /// </summary>
    public const string ReusedProperty = "promptcache.conversation_reused";

    /// <summary>Live conversations held for reuse (for diagnostics and tests).</summary>
    internal ChatConversationPool Conversations => _pool;

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var chat = ChatParts.From(messages, options?.Instructions);
        var generation = ToGeneration(options);
        await EnsureWarmAsync(cancellationToken).ConfigureAwait(false);
        var engine = _options.MaxConversations > 0 ? await EngineAsync(cancellationToken).ConfigureAwait(false) : null;

        string responseId = Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow;
        var stats = new PromptRunStats();
        // The engine applies the stop strings itself; this filter is a guard for other IPromptCache implementations
        // (on the engine's already-cut text it never finds a stop string, so it changes nothing).
        var filter = new StopStringFilter(generation.StopStrings);
        var turn = engine is null ? null : await ChatTurn.BeginAsync(engine, _pool, chat, options?.ConversationId, _options.SchemaName, ConversationOptions, cancellationToken).ConfigureAwait(false);
        var answer = new StringBuilder();
        bool completed = false;
        int recomputed = 0;
        try
        {
            var stream = turn is null
                ? Stream(new PromptRequest(_options.SchemaName, "", [], chat.All), generation, stats, cancellationToken)
                : turn.Conversation.StreamAsync(generation, stats, cancellationToken);
            await foreach (string piece in stream.ConfigureAwait(false))
            {
                string text = filter.Push(piece);
                answer.Append(text);
                if (text.Length > 0) yield return Update(text, responseId, created);
                if (filter.Stopped) break;   // leaving the loop disposes the engine's stream, which ends generation
            }
            string rest = filter.Flush();
            answer.Append(rest);
            if (rest.Length > 0) yield return Update(rest, responseId, created);
            completed = !filter.Stopped;
        }
        finally
        {
            // Runs also when the consumer stops reading early or the turn fails: the conversation is then dropped.
            if (turn is not null)
            {
                recomputed = turn.End(engine!, completed, stats, answer.ToString());
                if (_cache is HostedPromptCache hosted)
                    hosted.RecordConversationTurn(_options.SchemaName, stats, stats.TimeToFirstToken > TimeSpan.Zero ? turn.Conversation.LastTurn : null);
            }
        }

        var last = Update(null, responseId, created);
        last.FinishReason = filter.Stopped ? ChatFinishReason.Stop : stats.StopReason switch
        {
            StopReason.MaxTokens => ChatFinishReason.Length,
            StopReason.StopToken or StopReason.StopString => ChatFinishReason.Stop,
            _ => null,
        };
        // Only a kept conversation is named back: a caller that sends only new messages needs it to still exist.
        if (turn is { Kept: true, Session.ConversationId: { } conversationId }) last.ConversationId = conversationId;
        // Lets a caller see whether history was reused (e.g. that an id it sent was still held) without reading usage.
        if (turn is not null) last.AdditionalProperties = new() { [ReusedProperty] = turn.Reused };
        if (stats.TimeToFirstToken > TimeSpan.Zero)
        {
            int cached = stats.CachedTokens - recomputed;
            last.Contents.Add(new UsageContent(new UsageDetails
            {
                InputTokenCount = stats.PrefillTokens + stats.CachedTokens,
                CachedInputTokenCount = cached,
                OutputTokenCount = stats.GeneratedTokens,
                TotalTokenCount = stats.PrefillTokens + stats.CachedTokens + stats.GeneratedTokens,
            }));
        }
        yield return last;
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        if (serviceType.IsInstanceOfType(_cache)) return _cache;
        return null;
    }

    /// <summary>Disposes the live conversations (removing their K/V from the store); the engine belongs to whoever created it.</summary>
    public void Dispose() => _pool.Dispose();

    private ConversationOptions ConversationOptions => new() { Overflow = _options.Overflow };

    private ChatResponseUpdate Update(string? text, string responseId, DateTimeOffset created) =>
        new(ChatRole.Assistant, text is null ? [] : [new TextContent(text)])
        {
            ResponseId = responseId,
            MessageId = responseId,
            CreatedAt = created,
            ModelId = _options.ModelId,
        };

    // Conversations need the engine itself; another IPromptCache gets the full-suffix path.
    private async ValueTask<PromptCacheEngine?> EngineAsync(CancellationToken ct) => _cache switch
    {
        HostedPromptCache hosted => await hosted.GetEngineAsync(ct).ConfigureAwait(false),
        PromptCacheEngine engine => engine,
        _ => null,
    };

    // The stats overloads exist on the two engine types this package knows; another IPromptCache streams without them.
    private IAsyncEnumerable<string> Stream(PromptRequest request, GenerationOptions generation, PromptRunStats stats, CancellationToken ct) => _cache switch
    {
        HostedPromptCache hosted => hosted.StreamAsync(request, generation, stats, ct),
        PromptCacheEngine engine => engine.StreamAsync(request, generation, stats, ct),
        var other => other.StreamAsync(request, generation, ct),
    };

    // Warmed once per client; a failed or canceled warm-up is retried by the next call.
    private Task EnsureWarmAsync(CancellationToken ct)
    {
        Task? warm = Volatile.Read(ref _warm);
        if (warm is null || warm.IsFaulted || warm.IsCanceled)
        {
            lock (_gate)
            {
                if (_warm is null || _warm.IsFaulted || _warm.IsCanceled) _warm = _cache.WarmAsync([_schema], null, CancellationToken.None);
                warm = _warm;
            }
        }
        return warm.WaitAsync(ct);
    }

    private GenerationOptions ToGeneration(ChatOptions? options)
    {
        var generation = new GenerationOptions
        {
            MaxTokens = options?.MaxOutputTokens ?? _options.DefaultMaxOutputTokens,
            Temperature = options?.Temperature ?? 0f,
            TopP = options?.TopP ?? 1f,
            TopK = options?.TopK ?? 0,
            // ChatOptions.Seed is 64-bit, the sampler's 32-bit: fold both halves in so no bit is ignored.
            Seed = options?.Seed is long seed ? unchecked((int)(seed ^ (seed >>> 32))) : null,
            StopStrings = options?.StopSequences is { Count: > 0 } stops ? [.. stops] : [],
        };
        generation.Validate();
        return generation;
    }
}
