using System;
using System.Linq;
using PromptCache.Pml;
using PromptCache.Pml.Layout;
using PromptCache.Pml.Syntax;
using PromptCache.Tokenizers;
using PromptCache.Tokenizers.Chat;

namespace PromptCache.Generators.Tokens;

/// <summary>
/// The project's tokenizer, loaded once per build (one pipeline node for all schemas, not one per schema)
/// from the <c>&lt;PromptCacheTokenizer&gt;</c> item. Equality is by identity (content hashes and context
/// length), so a schema edit reuses the loaded tokenizer and only a tokenizer edit reloads it.
/// </summary>
internal sealed class BuildTokenizer : IEquatable<BuildTokenizer>, ITokenCounter
{
    private BuildTokenizer(string identity, string? configIdentity, int? contextLength, Tokenizer? tokenizer, IRoleMarkers? markers, PmlDiagnostic? error)
    {
        Identity = identity;
        ConfigIdentity = configIdentity;
        ContextLength = contextLength;
        Tokenizer = tokenizer;
        Markers = markers;
        Error = error;
    }

    /// <summary>The tokenizer file's content hash (see <see cref="TokenizerFile.Identity"/>).</summary>
    public string Identity { get; }

    /// <summary>The tokenizer_config.json's content hash, or null when none was given.</summary>
    public string? ConfigIdentity { get; }

    /// <summary>The model's context length from the item's metadata, or null.</summary>
    public int? ContextLength { get; }

    /// <summary>The loaded tokenizer; null when loading failed (then <see cref="Error"/> says why).</summary>
    public Tokenizer? Tokenizer { get; }

    /// <summary>
    /// Role marker counts from the chat template of tokenizer_config.json; null when no config is given (PML role
    /// tags then take no positions, as at run time with no markers) - a template is never guessed.
    /// </summary>
    public IRoleMarkers? Markers { get; }

    /// <summary>Why the tokenizer could not be used, reported once at the tokenizer file.</summary>
    public PmlDiagnostic? Error { get; }

    /// <summary>Loads the first tokenizer item and its config, if any; null when the project names no tokenizer.</summary>
    public static BuildTokenizer? Load(EquatableArray<TokenizerFile> files)
    {
        var file = files.FirstOrDefault(f => f.Kind == TokenizerFile.TokenizerKind);
        if (file is null)
        {
            return null;
        }

        var config = files.FirstOrDefault(f => f.Kind == TokenizerFile.ConfigKind);
        try
        {
            var tokenizer = Tokenizer.FromHfTokenizerJson(file.Content, config?.Content, file.Path);
            IRoleMarkers? markers = config is null ? null : new MarkerCounts(ChatMarkers.ForTokenizer(tokenizer), tokenizer);
            return new BuildTokenizer(file.Identity, config?.Identity, file.ContextLength, tokenizer, markers, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var error = PmlDiagnostic.Create(
                PmlDiagnostics.GeneratorInternalError, new PmlLocation(file.Path, 0, 0, 1, 1, 1, 1), "the tokenizer could not be loaded (" + ex.GetType().Name + ": " + ex.Message + ")");
            return new BuildTokenizer(file.Identity, config?.Identity, file.ContextLength, null, null, error);
        }
    }

    /// <inheritdoc/>
    public int CountTokens(string text) => Tokenizer!.EncodeToIds(text, addSpecialTokens: false).Count;

    /// <inheritdoc/>
    public bool Equals(BuildTokenizer? other) =>
        other is not null && Identity == other.Identity && ConfigIdentity == other.ConfigIdentity && ContextLength == other.ContextLength;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as BuildTokenizer);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCombiner.Combine(Identity.GetHashCode(), HashCombiner.Of(ConfigIdentity), ContextLength ?? -1);

    // The runtime counts a role's markers by encoding its prefix and suffix text without special tokens; the same here.
    private sealed class MarkerCounts : IRoleMarkers
    {
        private readonly int[] _begin = new int[3];
        private readonly int[] _end = new int[3];

        public MarkerCounts(ChatMarkers markers, Tokenizer tokenizer)
        {
            Set(PmlRoleKind.System, markers.System, tokenizer);
            Set(PmlRoleKind.User, markers.User, tokenizer);
            Set(PmlRoleKind.Assistant, markers.Assistant, tokenizer);
        }

        public int CountBeginTokens(PmlRoleKind role) => _begin[Index(role)];

        public int CountEndTokens(PmlRoleKind role) => _end[Index(role)];

        private void Set(PmlRoleKind role, RoleMarkers markers, Tokenizer tokenizer)
        {
            _begin[Index(role)] = Count(markers.Prefix, tokenizer);
            _end[Index(role)] = Count(markers.Suffix, tokenizer);
        }

        private static int Count(string text, Tokenizer tokenizer) => text.Length == 0 ? 0 : tokenizer.EncodeToIds(text, addSpecialTokens: false).Count;

        private static int Index(PmlRoleKind role) => role switch
        {
            PmlRoleKind.System => 0,
            PmlRoleKind.User => 1,
            _ => 2,
        };
    }
}
