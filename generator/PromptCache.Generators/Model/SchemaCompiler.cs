using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using PromptCache.Generators.Inputs;
using PromptCache.Generators.Naming;
using PromptCache.Pml;
using PromptCache.Pml.Layout;
using PromptCache.Pml.Syntax;

namespace PromptCache.Generators.Model;

/// <summary>
/// One .pml file in, one <see cref="SchemaResult"/> out: parse with the shared parser, resolve <c>src</c>
/// files among the AdditionalFiles, pick the C# names. Any exception becomes PCG0027 at the file, so the
/// compiler never sees a crashing generator.
/// </summary>
internal static class SchemaCompiler
{
    /// <summary>Compiles <paramref name="input"/>; <paramref name="sources"/> are the non-.pml AdditionalFiles.</summary>
    public static SchemaResult Compile(SchemaFileInput input, EquatableArray<SourceFileText> sources, CancellationToken cancellationToken)
    {
        try
        {
            return CompileCore(input, sources, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Failed(PmlDiagnostic.Create(
                PmlDiagnostics.GeneratorInternalError, StartOf(input.Path), ex.GetType().Name + ": " + ex.Message));
        }
    }

    private static SchemaResult CompileCore(SchemaFileInput input, EquatableArray<SourceFileText> sources, CancellationToken cancellationToken)
    {
        if (input.Text is null)
        {
            return Failed(PmlDiagnostic.Create(PmlDiagnostics.GeneratorInternalError, StartOf(input.Path), "the file's text could not be read (" + (input.ReadError ?? "no text") + ")"));
        }

        var source = Emit.LineEndings.Normalize(input.Text);
        var loaded = new List<SourceFileText>();
        var parsed = PmlParser.ParseSchema(source, input.Path, src => Load(input.Path, src, sources, loaded));
        cancellationToken.ThrowIfCancellationRequested();

        var diagnostics = new List<PmlDiagnostic>(parsed.Diagnostics);
        if (parsed.Schema is null || parsed.HasErrors)
        {
            return new SchemaResult(null, diagnostics.ToEquatableArray());
        }

        var typeName = ResolveTypeName(input, parsed.Schema, diagnostics);
        CheckNamespace(input, parsed.Schema, diagnostics);
        var model = SchemaModelBuilder.Build(
            parsed.Schema,
            input,
            typeName,
            source,
            loaded.ToEquatableArray(),
            SchemaLayout.Build(parsed.Schema),
            diagnostics);

        var hasErrors = diagnostics.Any(d => d.IsError);
        return new SchemaResult(hasErrors ? null : model, diagnostics.ToEquatableArray());
    }

    private static string ResolveTypeName(SchemaFileInput input, PmlSchema schema, List<PmlDiagnostic> diagnostics)
    {
        if (string.IsNullOrWhiteSpace(input.TypeNameOverride))
        {
            return IdentifierNames.SchemaTypeName(schema.Name);
        }

        var typeName = input.TypeNameOverride!.Trim();
        if (!Microsoft.CodeAnalysis.CSharp.SyntaxFacts.IsValidIdentifier(typeName))
        {
            // Reported at the schema name: the option lives in the project file, which has no location the generator knows.
            diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.InvalidGeneratorOption, schema.NameLocation, "TypeName", typeName, "identifier"));
        }

        return typeName;
    }

    private static void CheckNamespace(SchemaFileInput input, PmlSchema schema, List<PmlDiagnostic> diagnostics)
    {
        if (input.Namespace.Length > 0 && !IdentifierNames.IsValidNamespace(input.Namespace))
        {
            diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.InvalidGeneratorOption, schema.NameLocation, "Namespace", input.Namespace, "namespace"));
        }
    }

    // The parser asks for a src path as written (relative to the .pml); AdditionalFiles hold absolute paths.
    private static string? Load(string schemaPath, string src, EquatableArray<SourceFileText> sources, List<SourceFileText> loaded)
    {
        var wanted = SourcePaths.Resolve(schemaPath, src);
        var comparison = SourcePaths.ComparisonFor(wanted);
        foreach (var file in sources)
        {
            if (string.Equals(file.Path, wanted, comparison))
            {
                loaded.Add(new SourceFileText(src, file.Text));
                return file.Text;
            }
        }

        return null;
    }

    private static SchemaResult Failed(PmlDiagnostic diagnostic) =>
        new(null, EquatableArray.Create(diagnostic));

    /// <summary>Line 1, column 1 of <paramref name="path"/>: where file-wide problems are reported.</summary>
    public static PmlLocation StartOf(string path) => new(path, 0, 0, 1, 1, 1, 1);
}
