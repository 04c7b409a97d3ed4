using System;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using PromptCache.Pml;

namespace PromptCache.Generators.Tokens;

/// <summary>
/// A <c>&lt;PromptCacheTokenizer&gt;</c> item (or its <c>tokenizer_config.json</c>), which the package's props
/// turns into an AdditionalFiles item with <c>PromptCacheKind</c> metadata. Equality is by path, identity
/// (content hash) and options, never by the content itself: comparing 11 MB on every run would cost more
/// than the cache saves, and the hash already says whether the content changed.
/// </summary>
internal sealed class TokenizerFile : IEquatable<TokenizerFile>
{
    /// <summary>The <c>PromptCacheKind</c> of a tokenizer.json item.</summary>
    public const string TokenizerKind = "Tokenizer";

    /// <summary>The <c>PromptCacheKind</c> of a tokenizer_config.json item (chat template, special tokens).</summary>
    public const string ConfigKind = "TokenizerConfig";

    private TokenizerFile(string kind, string path, string identity, int? contextLength, byte[] content)
    {
        Kind = kind;
        Path = path;
        Identity = identity;
        ContextLength = contextLength;
        Content = content;
    }

    /// <summary><see cref="TokenizerKind"/> or <see cref="ConfigKind"/>.</summary>
    public string Kind { get; }

    /// <summary>The file path as the compiler sees it.</summary>
    public string Path { get; }

    /// <summary>
    /// The SHA-256 of the file's text (LF line endings): what the generated <c>Tokens.TokenizerHash</c> holds and
    /// what the runtime recomputes from the model's tokenizer.json to detect a different tokenizer.
    /// </summary>
    public string Identity { get; }

    /// <summary>The item's <c>ContextLength</c> metadata, or null.</summary>
    public int? ContextLength { get; }

    /// <summary>The UTF-8 content (not part of equality).</summary>
    public byte[] Content { get; }

    /// <summary>True when the item is a tokenizer or tokenizer config item (so it is not a <c>src</c> candidate).</summary>
    public static bool IsTokenizerItem(AdditionalText file, AnalyzerConfigOptionsProvider options) => KindOf(file, options) is not null;

    /// <summary>Reads the item when it is a tokenizer or config item; null for every other AdditionalFiles item.</summary>
    public static TokenizerFile? Read(AdditionalText file, AnalyzerConfigOptionsProvider options, CancellationToken cancellationToken)
    {
        var kind = KindOf(file, options);
        if (kind is null)
        {
            return null;
        }

        var text = file.GetText(cancellationToken)?.ToString() ?? string.Empty;
        int? contextLength = null;
        if (options.GetOptions(file).TryGetValue("build_metadata.AdditionalFiles.ContextLength", out var raw) && !string.IsNullOrWhiteSpace(raw))
        {
            // A malformed value becomes 0, which the binder treats as "every schema is too long": loud, at the schema.
            contextLength = int.TryParse(raw.Trim(), out var parsed) ? parsed : 0;
        }

        return new TokenizerFile(kind, file.Path, PmlContentHash.Compute(text), contextLength, Encoding.UTF8.GetBytes(text));
    }

    private static string? KindOf(AdditionalText file, AnalyzerConfigOptionsProvider options)
    {
        if (!options.GetOptions(file).TryGetValue("build_metadata.AdditionalFiles.PromptCacheKind", out var kind))
        {
            return null;
        }

        kind = kind.Trim();
        return string.Equals(kind, TokenizerKind, StringComparison.OrdinalIgnoreCase) ? TokenizerKind
            : string.Equals(kind, ConfigKind, StringComparison.OrdinalIgnoreCase) ? ConfigKind
            : null;
    }

    /// <inheritdoc/>
    public bool Equals(TokenizerFile? other) =>
        other is not null && Kind == other.Kind && Path == other.Path && Identity == other.Identity && ContextLength == other.ContextLength;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as TokenizerFile);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCombiner.Combine(Kind.GetHashCode(), Path.GetHashCode(), Identity.GetHashCode());
}
