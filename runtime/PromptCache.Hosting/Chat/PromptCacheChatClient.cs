using System.Runtime.CompilerServices;
using System.Security;
using Microsoft.Extensions.AI;
using PromptCache.Engine;
using PromptCache.Pml.Requests;
using PromptCache.Runtime.Generation;

namespace PromptCache.Hosting;

/// <summary>
/// An <see cref="IChatClient"/> over a PromptCache engine, for plain chat. The client warms one small
/// internal schema (holding <see cref="PromptCacheChatClientOptions.SystemPrompt"/>, which is therefore
/// computed once and reused) and sends the conversation as the request's role-tagged uncached suffix.
/// </summary>
/// <remarks>
/// <para><b>No conversation reuse yet.</b> The engine does not offer conversation sessions in this build,
/// so every call computes the whole conversation after the schema again; nothing of an earlier turn's
/// K/V is kept. When the engine gains sessions this client will reuse them; it does not pretend to now.</para>
/// <para>Supported <see cref="ChatOptions"/>: <c>Instructions</c> (a system part ahead of the messages),
/// <c>MaxOutputTokens</c>, <c>Temperature</c> (default 0: greedy), <c>TopP</c>, <c>TopK</c>, <c>Seed</c>
/// (folded to 32 bits) and <c>StopSequences</c> (the text is cut before the first one). Tools, response
/// formats and non-text content are not supported: messages with roles other than system, user and
/// assistant, or with non-text content, are rejected with <see cref="NotSupportedException"/>.</para>
/// </remarks>
public sealed class PromptCacheChatClient : IChatClient
{
    private readonly IPromptCache _cache;
    private readonly PromptCacheChatClientOptions _options;
    private readonly PromptSchemaSource _schema;
    private readonly ChatClientMetadata _metadata;
    private readonly Lock _gate = new();
    private Task? _warm;

    /// <summary>Creates a chat client over <paramref name="cache"/> (not owned: disposing the client leaves it alone).</summary>
    public PromptCacheChatClient(IPromptCache cache, PromptCacheChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _cache = cache;
        _options = options ?? new PromptCacheChatClientOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(_options.DefaultMaxOutputTokens, "options.DefaultMaxOutputTokens");
        string system = _options.SystemPrompt is { } prompt ? $"<system>{SecurityElement.Escape(prompt)}</system>" : "";
        _schema = new PromptSchemaSource($"<schema name=\"{SecurityElement.Escape(_options.SchemaName)}\">{system}</schema>", _options.SchemaName + ".pml");
        _metadata = new ChatClientMetadata("promptcache", defaultModelId: _options.ModelId);
    }

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = ToRequest(messages, options);
        var generation = ToGeneration(options);
        await EnsureWarmAsync(cancellationToken).ConfigureAwait(false);

        string responseId = Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow;
        var stats = new PromptRunStats();
        // The engine applies the stop strings itself; this filter is a guard for other IPromptCache implementations
        // (on the engine's already-cut text it never finds a stop string, so it changes nothing).
        var filter = new StopStringFilter(generation.StopStrings);
        await foreach (string piece in Stream(request, generation, stats, cancellationToken).ConfigureAwait(false))
        {
            string text = filter.Push(piece);
            if (text.Length > 0) yield return Update(text, responseId, created);
            if (filter.Stopped) break;   // leaving the loop disposes the engine's stream, which ends generation
        }
        string rest = filter.Flush();
        if (rest.Length > 0) yield return Update(rest, responseId, created);

        var last = Update(null, responseId, created);
        last.FinishReason = filter.Stopped ? ChatFinishReason.Stop : stats.StopReason switch
        {
            StopReason.MaxTokens => ChatFinishReason.Length,
            StopReason.StopToken or StopReason.StopString => ChatFinishReason.Stop,
            _ => null,
        };
        if (stats.TimeToFirstToken > TimeSpan.Zero)
        {
            last.Contents.Add(new UsageContent(new UsageDetails
            {
                InputTokenCount = stats.PrefillTokens + stats.CachedTokens,
                CachedInputTokenCount = stats.CachedTokens,
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

    /// <summary>Does nothing: the engine belongs to whoever created it.</summary>
    public void Dispose()
    {
    }

    private ChatResponseUpdate Update(string? text, string responseId, DateTimeOffset created) =>
        new(ChatRole.Assistant, text is null ? [] : [new TextContent(text)])
        {
            ResponseId = responseId,
            MessageId = responseId,
            CreatedAt = created,
            ModelId = _options.ModelId,
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

    private PromptRequest ToRequest(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var parts = new List<PromptSuffixPart>();
        if (!string.IsNullOrEmpty(options?.Instructions)) parts.Add(PromptSuffixPart.System(options.Instructions));
        int index = 0;
        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            if (message.Contents.FirstOrDefault(c => c is not TextContent) is { } content)
                throw new NotSupportedException($"PromptCacheChatClient handles text only: message {index} holds a {content.GetType().Name}.");
            string text = message.Text;
            if (message.Role == ChatRole.System) parts.Add(PromptSuffixPart.System(text));
            else if (message.Role == ChatRole.User) parts.Add(PromptSuffixPart.User(text));
            else if (message.Role == ChatRole.Assistant) parts.Add(PromptSuffixPart.Assistant(text));
            else throw new NotSupportedException($"PromptCacheChatClient supports system, user and assistant messages; message {index} has role '{message.Role}'.");
            index++;
        }
        if (parts.Count == 0) throw new ArgumentException("The conversation is empty: give at least one message.", nameof(messages));
        return new PromptRequest(_options.SchemaName, "", [], parts);
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
