using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace PromptCache.Generators.Tests.Infrastructure;

/// <summary>An AdditionalFiles item that lives in memory, as the compiler would hand it to the generator.</summary>
internal sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
{
    private readonly SourceText _text = SourceText.From(text, System.Text.Encoding.UTF8);

    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}
