using System.Diagnostics.CodeAnalysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace PromptCache.Generators.Tests.Infrastructure;

/// <summary>
/// The MSBuild-derived options a real build gives the generator: <c>build_property.*</c> globals (from
/// CompilerVisibleProperty) and per-file <c>build_metadata.AdditionalFiles.*</c> (from CompilerVisibleItemMetadata).
/// </summary>
internal sealed class TestOptionsProvider(
    IReadOnlyDictionary<string, string> globals,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> perFile) : AnalyzerConfigOptionsProvider
{
    private static readonly IReadOnlyDictionary<string, string> None = new Dictionary<string, string>();

    public override AnalyzerConfigOptions GlobalOptions { get; } = new DictionaryOptions(globals);

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new DictionaryOptions(None);

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) =>
        new DictionaryOptions(perFile.TryGetValue(textFile.Path, out var values) ? values : None);

    private sealed class DictionaryOptions(IReadOnlyDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }
}
