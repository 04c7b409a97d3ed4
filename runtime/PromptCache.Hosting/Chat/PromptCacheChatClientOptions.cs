namespace PromptCache.Hosting;

/// <summary>Settings of <see cref="PromptCacheChatClient"/>.</summary>
public sealed class PromptCacheChatClientOptions
{
    /// <summary>
    /// The name of the chat client's internal schema (warmed on first use). Two chat clients with
    /// different <see cref="SystemPrompt"/>s on one engine need different names.
    /// </summary>
    public string SchemaName { get; set; } = "promptcache-chat";

    /// <summary>
    /// A system prompt baked into the chat schema: precomputed once and reused from cache by every
    /// chat call (unlike system messages in the conversation, which are computed on each call). Null: none.
    /// </summary>
    public string? SystemPrompt { get; set; }

    /// <summary>Tokens to generate when <c>ChatOptions.MaxOutputTokens</c> is not set.</summary>
    public int DefaultMaxOutputTokens { get; set; } = 256;

    /// <summary>The model id reported in responses and metadata.</summary>
    public string? ModelId { get; set; }
}
