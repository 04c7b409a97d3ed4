using System;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using PromptCache.Generators.Naming;

namespace PromptCache.Generators.Inputs;

/// <summary>Reads AdditionalFiles and their MSBuild options into plain values (the pipeline's first step).</summary>
internal static class GeneratorInputs
{
    /// <summary>The extension of schema files.</summary>
    public const string SchemaExtension = ".pml";

    /// <summary>True for a .pml file (case-insensitive: Windows users write .PML too).</summary>
    public static bool IsSchema(AdditionalText file) => file.Path.EndsWith(SchemaExtension, StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads a .pml file and the options that name its class.</summary>
    public static SchemaFileInput ReadSchema(AdditionalText file, AnalyzerConfigOptionsProvider options, CancellationToken cancellationToken)
    {
        try
        {
            return ReadSchemaCore(file, options, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Reading happens before the compile step's own guard; a failure here must become PCG0027 too.
            return new SchemaFileInput(file.Path, null, string.Empty, null, ex.GetType().Name + ": " + ex.Message);
        }
    }

    private static SchemaFileInput ReadSchemaCore(AdditionalText file, AnalyzerConfigOptionsProvider options, CancellationToken cancellationToken)
    {
        var text = file.GetText(cancellationToken)?.ToString();
        var global = options.GlobalOptions;
        var item = options.GetOptions(file);
        var ns = NamespaceResolver.Resolve(
            file.Path,
            Value(global, "build_property.ProjectDir"),
            Value(global, "build_property.RootNamespace"),
            Value(item, "build_metadata.AdditionalFiles.Namespace"));
        return new SchemaFileInput(file.Path, text, ns, Value(item, "build_metadata.AdditionalFiles.TypeName"));
    }

    /// <summary>Reads a non-.pml file that a module's <c>src</c> may name.</summary>
    public static SourceFileText? ReadSource(AdditionalText file, CancellationToken cancellationToken)
    {
        try
        {
            var text = file.GetText(cancellationToken)?.ToString();
            return text is null ? null : new SourceFileText(SourcePaths.Normalize(file.Path), text);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // An unreadable non-.pml file is only a problem if a schema names it, and then PCG0012 says so.
            return null;
        }
    }

    private static string? Value(AnalyzerConfigOptions options, string key) =>
        options.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;
}
