using PromptCache.Pml;

namespace PromptCache.Generators.Inputs;

/// <summary>The per-assembly support file's input.</summary>
/// <param name="SchemaTypes">The fully qualified schema classes, sorted.</param>
/// <param name="RegisterInCatalog">Whether to emit the module initializer that fills <c>PromptSchemaCatalog</c>.</param>
internal sealed record SupportInput(EquatableArray<string> SchemaTypes, bool RegisterInCatalog);
