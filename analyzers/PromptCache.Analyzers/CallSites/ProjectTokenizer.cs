using System;
using System.Collections.Immutable;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using PromptCache.Pml;
using PromptCache.Tokenizers;

namespace PromptCache.Analyzers.CallSites;

/// <summary>
/// The tokenizer a project names (<c>&lt;PromptCacheTokenizer&gt;</c>, an AdditionalFiles item with
/// <c>PromptCacheKind="Tokenizer"</c>). Loading an 11 MB vocabulary on every compilation (every keystroke in
/// an IDE) would be far too slow, so the last one loaded is kept, keyed by the file's content hash.
/// </summary>
internal static class ProjectTokenizer
{
    private static readonly object s_gate = new object();
    private static string? s_identity;
    private static Tokenizer? s_tokenizer;

    /// <summary>The project's tokenizer, or null when it names none or the file cannot be loaded (the generator reports that).</summary>
    public static Tokenizer? Find(ImmutableArray<AdditionalText> files, AnalyzerConfigOptionsProvider options, CancellationToken cancellationToken)
    {
        foreach (var file in files)
        {
            if (!options.GetOptions(file).TryGetValue("build_metadata.AdditionalFiles.PromptCacheKind", out var kind)
                || !string.Equals(kind.Trim(), "Tokenizer", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var text = file.GetText(cancellationToken)?.ToString();
            return text is null ? null : Load(text, file.Path);
        }

        return null;
    }

    private static Tokenizer? Load(string text, string path)
    {
        var identity = PmlContentHash.Compute(text);
        lock (s_gate)
        {
            if (identity == s_identity)
            {
                return s_tokenizer;
            }

            try
            {
                s_tokenizer = Tokenizer.FromHfTokenizerJson(Encoding.UTF8.GetBytes(text), null, path);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                s_tokenizer = null;
            }

            s_identity = identity;
            return s_tokenizer;
        }
    }
}
