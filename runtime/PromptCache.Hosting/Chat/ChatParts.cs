using Microsoft.Extensions.AI;
using PromptCache.Pml.Requests;

namespace PromptCache.Hosting;

/// <summary>A request's chat as role-tagged suffix parts: the instructions (a system part) and then every message.</summary>
internal sealed class ChatParts
{
    private ChatParts(string? instructions, List<PromptSuffixPart> messages)
    {
        Instructions = string.IsNullOrEmpty(instructions) ? null : instructions;
        Messages = messages;
        All = Instructions is null ? messages : [PromptSuffixPart.System(Instructions), .. messages];
    }

    /// <summary><c>ChatOptions.Instructions</c>, or null when empty.</summary>
    public string? Instructions { get; }

    /// <summary>The messages only.</summary>
    public IReadOnlyList<PromptSuffixPart> Messages { get; }

    /// <summary>The instructions' system part (if any), then the messages: the whole chat as the plain path computes it.</summary>
    public IReadOnlyList<PromptSuffixPart> All { get; }

    /// <summary>Maps and validates the messages.</summary>
    /// <exception cref="NotSupportedException">A role other than system, user and assistant, or non-text content.</exception>
    /// <exception cref="ArgumentException">Nothing to answer.</exception>
    public static ChatParts From(IEnumerable<ChatMessage> messages, string? instructions)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var parts = new List<PromptSuffixPart>();
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
        var chat = new ChatParts(instructions, parts);
        if (chat.All.Count == 0) throw new ArgumentException("The conversation is empty: give at least one message.", nameof(messages));
        return chat;
    }
}
