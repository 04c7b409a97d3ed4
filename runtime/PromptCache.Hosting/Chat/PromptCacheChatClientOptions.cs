using PromptCache.Engine.Conversations;

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
    /// chat call (unlike system messages in the conversation, which are computed once per conversation).
    /// Null: none.
    /// </summary>
    public string? SystemPrompt { get; set; }

    /// <summary>Tokens to generate when <c>ChatOptions.MaxOutputTokens</c> is not set.</summary>
    public int DefaultMaxOutputTokens { get; set; } = 256;

    /// <summary>The model id reported in responses and metadata.</summary>
    public string? ModelId { get; set; }

    /// <summary>
    /// How many conversations the client keeps alive for reuse (their K/V stays in the engine's store,
    /// where it counts against the memory budget and may spill to disk). Beyond it the least recently used
    /// idle conversation is disposed, which removes its store entry. 0 turns reuse off: every call then
    /// computes the whole chat after the schema, as a plain suffix. Default 16.
    /// </summary>
    public int MaxConversations { get; set; } = 16;

    /// <summary>
    /// What a reused conversation does when a turn would pass the context window:
    /// <see cref="ConversationOverflow.Throw"/> (the default, as the plain path does) or
    /// <see cref="ConversationOverflow.TruncateOldestTurns"/> (drop the oldest whole turns; the model then no
    /// longer sees them, so later answers differ from what a recompute of the full chat would give).
    /// </summary>
    public ConversationOverflow Overflow { get; set; } = ConversationOverflow.Throw;
}
