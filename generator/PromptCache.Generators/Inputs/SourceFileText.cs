namespace PromptCache.Generators.Inputs;

/// <summary>A non-.pml AdditionalFiles item that a module's <c>src</c> attribute may name.</summary>
/// <param name="Path">The path, normalised with <see cref="SourcePaths.Normalize"/>.</param>
/// <param name="Text">The file's text.</param>
internal sealed record SourceFileText(string Path, string Text);
