using PromptCache.Pml;

namespace PromptCache.Generators.Model;

/// <summary>
/// The outcome of compiling one .pml file: a model to emit (null when the schema has errors) and the
/// diagnostics to report. The two travel down separate pipelines, so a changed message never re-emits code.
/// </summary>
internal sealed record SchemaResult(SchemaModel? Model, EquatableArray<PmlDiagnostic> Diagnostics);
