using Microsoft.CodeAnalysis;

namespace PromptCache.Generators.Inputs;

/// <summary>
/// What the consumer's compilation offers to the generated code, reduced to plain values at once so the
/// pipeline never holds the <see cref="Compilation"/> (a new one arrives on every keystroke; a bool caches).
/// </summary>
internal static class CompilationFeatures
{
    private const string ModuleInitializerAttribute = "System.Runtime.CompilerServices.ModuleInitializerAttribute";
    private const string SchemaCatalog = "PromptCache.Pml.Registry.PromptSchemaCatalog";

    /// <summary>
    /// True when a module initializer can register the schemas in the process-wide catalog: the runtime
    /// runs <c>[ModuleInitializer]</c> (net5.0+; a polyfilled attribute on netstandard/net4x would never run,
    /// so its absence means no initializer) and the referenced PromptCache.Pml has the catalog.
    /// </summary>
    public static bool CanRegisterInCatalog(Compilation compilation) =>
        IsAccessible(compilation, ModuleInitializerAttribute) && IsAccessible(compilation, SchemaCatalog);

    private static bool IsAccessible(Compilation compilation, string metadataName) =>
        compilation.GetTypeByMetadataName(metadataName) is { } type && compilation.IsSymbolAccessibleWithin(type, compilation.Assembly);
}
