namespace PromptCache.Generators.Inputs;

/// <summary>
/// One .pml AdditionalFiles item, read into plain values: its path, its text and the naming options that
/// apply to it. This is the first step of the pipeline, so everything after it caches on value equality.
/// </summary>
/// <param name="Path">The file path as the compiler sees it.</param>
/// <param name="Text">The file's text, or null when it could not be read (then <paramref name="ReadError"/> says why).</param>
/// <param name="Namespace">The resolved namespace of the generated class (empty for the global namespace).</param>
/// <param name="TypeNameOverride">The item's <c>TypeName</c> metadata, or null.</param>
/// <param name="ReadError">Why the text could not be read, or null.</param>
internal sealed record SchemaFileInput(string Path, string? Text, string Namespace, string? TypeNameOverride, string? ReadError = null);
