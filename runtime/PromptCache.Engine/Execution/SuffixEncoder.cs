using PromptCache.Engine.Binding;
using PromptCache.Pml.Requests;
using PromptCache.Pml.Syntax;
using PromptCache.Tokenizers;

namespace PromptCache.Engine.Execution;

/// <summary>
/// Encodes a request's trailing text. Role-tagged parts are wrapped in the model's chat markers;
/// when the last part is a user turn, the assistant prefix (the generation prompt) follows, so the
/// model answers as the assistant. Plain text is encoded as is, so a completion-style prompt stays
/// a completion. Without chat markers (a tokenizer with no chat template), role parts are plain text.
/// </summary>
internal static class SuffixEncoder
{
    public static List<int> Encode(IReadOnlyList<PromptSuffixPart> parts, Tokenizer tokenizer, RoleMarkerTokens? markers)
    {
        var ids = new List<int>();
        foreach (var part in parts)
        {
            if (part.Role is PmlRoleKind role && markers is not null) ids.AddRange(markers.Begin(role));
            ids.AddRange(tokenizer.EncodeToIds(part.Text, addSpecialTokens: false));
            if (part.Role is PmlRoleKind r && markers is not null) ids.AddRange(markers.End(r));
        }
        if (markers is not null && parts.Count > 0 && parts[^1].Role == PmlRoleKind.User) ids.AddRange(markers.GenerationPromptIds);
        return ids;
    }
}
