using PromptCache.Pml.Layout;
using PromptCache.Pml.Syntax;
using PromptCache.Tokenizers;
using PromptCache.Tokenizers.Chat;

namespace PromptCache.Cli.Commands.Schema;

/// <summary>
/// What `--tokenizer` (and `--chat-format`, `--context-length`) give the schema commands: a token
/// counter and the model's role markers, so layouts get token-exact offsets.
/// </summary>
public sealed class TokenBinding
{
    private TokenBinding(ITokenCounter counter, IRoleMarkers? markers, int? contextLength)
    {
        Counter = counter;
        Markers = markers;
        ContextLength = contextLength;
    }

    /// <summary>Counts tokens of text segments (no special tokens added).</summary>
    public ITokenCounter Counter { get; }

    /// <summary>The role markers' sizes, or null when the chat format is unknown (roles then take no positions).</summary>
    public IRoleMarkers? Markers { get; }

    /// <summary>The context window to check the schema's length against, if given.</summary>
    public int? ContextLength { get; }

    /// <summary>Binds <paramref name="layout"/> with this tokenizer.</summary>
    public BoundLayout Bind(SchemaLayout layout) => layout.Bind(Counter, Markers, ContextLength);

    /// <summary>
    /// Loads the tokenizer at <paramref name="path"/>; null (with a message) when it cannot be loaded.
    /// An unknown chat format is not fatal: roles are then counted as zero tokens, and we say so.
    /// </summary>
    public static TokenBinding? Load(string path, string? chatFormat, int? contextLength, TextWriter error)
    {
        Tokenizer tokenizer;
        try
        {
            tokenizer = Tokenizer.Load(path);
        }
        catch (Exception ex) when (ex is IOException or TokenizerFormatException or UnauthorizedAccessException or ArgumentException)
        {
            error.WriteLine($"promptcache: cannot load tokenizer '{path}': {ex.Message}");
            return null;
        }

        IRoleMarkers? markers = null;
        try
        {
            markers = new ChatRoleMarkers(tokenizer, ChatMarkers.ForTokenizer(tokenizer, chatFormat));
        }
        catch (Exception ex) when (ex is ChatTemplateNotRecognizedException or ArgumentException)
        {
            error.WriteLine($"promptcache: role markers not counted ({ex.Message}). Pass --chat-format to name the format.");
        }
        return new TokenBinding(new TokenizerCounter(tokenizer), markers, contextLength);
    }

    private sealed class TokenizerCounter(Tokenizer tokenizer) : ITokenCounter
    {
        public int CountTokens(string text) => tokenizer.CountTokens(text, addSpecialTokens: false);
    }

    private sealed class ChatRoleMarkers(Tokenizer tokenizer, ChatMarkers markers) : IRoleMarkers
    {
        public int CountBeginTokens(PmlRoleKind role) => tokenizer.CountTokens(For(role).Prefix, addSpecialTokens: false);

        public int CountEndTokens(PmlRoleKind role) => tokenizer.CountTokens(For(role).Suffix, addSpecialTokens: false);

        private RoleMarkers For(PmlRoleKind role) => role switch
        {
            PmlRoleKind.System => markers.System,
            PmlRoleKind.User => markers.User,
            _ => markers.Assistant,
        };
    }
}
