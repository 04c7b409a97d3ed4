using PromptCache.Pml.Layout;
using PromptCache.Pml.Syntax;
using PromptCache.Tokenizers;
using PromptCache.Tokenizers.Chat;

namespace PromptCache.Engine.Binding;

/// <summary>
/// The token ids of a chat format's role markers, as the tokenizer encodes them (special tokens such
/// as <c>&lt;|im_start|&gt;</c> are matched as added tokens). Also the <see cref="IRoleMarkers"/>
/// adapter for layout binding.
/// </summary>
/// <remarks>
/// Formats that fold the system text into the first user turn (Llama 2, Mistral) are mapped role by
/// role: a PML <c>&lt;system&gt;</c> gets the system markers and a following <c>&lt;user&gt;</c>
/// its own markers. Positions must not depend on what comes next, so no merging happens.
/// </remarks>
public sealed class RoleMarkerTokens : IRoleMarkers
{
    private readonly Dictionary<PmlRoleKind, (int[] Begin, int[] End)> _roles = [];

    /// <summary>Encodes <paramref name="markers"/> with <paramref name="tokenizer"/>.</summary>
    public RoleMarkerTokens(ChatMarkers markers, Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(markers);
        ArgumentNullException.ThrowIfNull(tokenizer);
        Markers = markers;
        _roles[PmlRoleKind.System] = (Encode(tokenizer, markers.System.Prefix), Encode(tokenizer, markers.System.Suffix));
        _roles[PmlRoleKind.User] = (Encode(tokenizer, markers.User.Prefix), Encode(tokenizer, markers.User.Suffix));
        _roles[PmlRoleKind.Assistant] = (Encode(tokenizer, markers.Assistant.Prefix), Encode(tokenizer, markers.Assistant.Suffix));
        BeginIds = Encode(tokenizer, markers.BeginText);
        GenerationPromptIds = Encode(tokenizer, markers.GenerationPrompt);
    }

    /// <summary>The chat format.</summary>
    public ChatMarkers Markers { get; }

    /// <summary>Tokens once at the start of a conversation (e.g. Llama 3's <c>&lt;|begin_of_text|&gt;</c>), possibly none.</summary>
    public int[] BeginIds { get; }

    /// <summary>The assistant prefix that asks the model to answer.</summary>
    public int[] GenerationPromptIds { get; }

    /// <summary>Tokens opening <paramref name="role"/>.</summary>
    public int[] Begin(PmlRoleKind role) => _roles[role].Begin;

    /// <summary>Tokens closing <paramref name="role"/>.</summary>
    public int[] End(PmlRoleKind role) => _roles[role].End;

    /// <inheritdoc />
    public int CountBeginTokens(PmlRoleKind role) => Begin(role).Length;

    /// <inheritdoc />
    public int CountEndTokens(PmlRoleKind role) => End(role).Length;

    private static int[] Encode(Tokenizer tokenizer, string text) =>
        text.Length == 0 ? [] : [.. tokenizer.EncodeToIds(text, addSpecialTokens: false)];
}
