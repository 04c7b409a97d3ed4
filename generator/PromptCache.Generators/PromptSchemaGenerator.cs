using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using PromptCache.Generators.Diagnostics;
using PromptCache.Generators.Emit;
using PromptCache.Generators.Inputs;
using PromptCache.Generators.Model;
using PromptCache.Generators.Tokens;
using PromptCache.Pml;

namespace PromptCache.Generators;

/// <summary>
/// Turns every <c>.pml</c> AdditionalFiles item into a typed prompt class, plus one per-assembly support
/// file with the schema registry. Pipeline: read files into values, compile each schema into a
/// <see cref="SchemaResult"/>, then report diagnostics and emit code on separate outputs, so each reruns
/// only when its own input changed.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class PromptSchemaGenerator : IIncrementalGenerator
{
    /// <summary>Step names, so tests can check what was cached.</summary>
    public static class TrackingNames
    {
        /// <summary>The .pml files read into <c>SchemaFileInput</c>.</summary>
        public const string SchemaFiles = nameof(SchemaFiles);

        /// <summary>The non-.pml AdditionalFiles that <c>src</c> may name.</summary>
        public const string SourceFiles = nameof(SourceFiles);

        /// <summary>One <c>SchemaResult</c> per .pml file.</summary>
        public const string Results = nameof(Results);

        /// <summary>The project's tokenizer, loaded once per build (null without a PromptCacheTokenizer item).</summary>
        public const string Tokenizer = nameof(Tokenizer);

        /// <summary>The models that are emitted.</summary>
        public const string Models = nameof(Models);

        /// <summary>The cross-file type-name check.</summary>
        public const string Collisions = nameof(Collisions);

        /// <summary>The sorted list of generated class names (the registry's input).</summary>
        public const string Registry = nameof(Registry);

        /// <summary>Whether the compilation can run a module initializer that fills the schema catalog.</summary>
        public const string CatalogRegistration = nameof(CatalogRegistration);
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var schemaFiles = context.AdditionalTextsProvider
            .Where(GeneratorInputs.IsSchema)
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Select(static (pair, ct) => GeneratorInputs.ReadSchema(pair.Left, pair.Right, ct))
            .WithTrackingName(TrackingNames.SchemaFiles);

        // Tokenizer items are not src candidates: their 11 MB of text would be compared on every run.
        var sourceFiles = context.AdditionalTextsProvider
            .Where(static file => !GeneratorInputs.IsSchema(file))
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Where(static pair => !TokenizerFile.IsTokenizerItem(pair.Left, pair.Right))
            .Select(static (pair, ct) => GeneratorInputs.ReadSource(pair.Left, ct))
            .Collect()
            .Select(static (files, _) => files.Where(f => f is not null).Select(f => f!).ToEquatableArray())
            .WithTrackingName(TrackingNames.SourceFiles);

        var results = schemaFiles
            .Combine(sourceFiles)
            .Select(static (pair, ct) => SchemaCompiler.Compile(pair.Left, pair.Right, ct))
            .WithTrackingName(TrackingNames.Results);

        context.RegisterSourceOutput(results.Select(static (r, _) => r.Diagnostics), ReportDiagnostics);

        // One node for the whole build: each schema binds against the same loaded tokenizer.
        var tokenizer = context.AdditionalTextsProvider
            .Where(static file => !GeneratorInputs.IsSchema(file))
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Select(static (pair, ct) => TokenizerFile.Read(pair.Left, pair.Right, ct))
            .Where(static file => file is not null)
            .Collect()
            .Select(static (files, _) => BuildTokenizer.Load(files.Select(f => f!).OrderBy(f => f.Path, StringComparer.Ordinal).ToEquatableArray()))
            .WithTrackingName(TrackingNames.Tokenizer);

        context.RegisterSourceOutput(tokenizer, static (ctx, t) =>
        {
            if (t?.Error is { } error)
            {
                ctx.ReportDiagnostic(RoslynDiagnostics.ToRoslyn(error));
            }
        });

        var bound = results
            .Where(static r => r.Model is not null)
            .Select(static (r, _) => r.Model!)
            .Combine(tokenizer)
            .Select(static (pair, _) => TokenLayoutBinder.Bind(pair.Left, pair.Right));

        context.RegisterSourceOutput(bound.Select(static (b, _) => b.Diagnostics), ReportDiagnostics);

        var models = bound
            .Select(static (b, _) => b.Model)
            .WithTrackingName(TrackingNames.Models);

        var collisions = models
            .Select(static (m, _) => new SchemaTypeClaim(m.FullTypeName, m.FilePath, m.NameLocation))
            .Collect()
            .Select(static (claims, _) => TypeCollisionReport.Find(claims))
            .WithTrackingName(TrackingNames.Collisions);

        context.RegisterSourceOutput(collisions.Select(static (c, _) => c.Diagnostics), ReportDiagnostics);
        context.RegisterSourceOutput(models.Combine(collisions.Select(static (c, _) => c.Losers)), EmitSchema);

        var registry = models
            .Select(static (m, _) => m.FullTypeName)
            .Collect()
            .Select(static (names, _) => names.Distinct().OrderBy(n => n, StringComparer.Ordinal).ToEquatableArray())
            .WithTrackingName(TrackingNames.Registry);

        var canRegister = context.CompilationProvider
            .Select(static (compilation, _) => CompilationFeatures.CanRegisterInCatalog(compilation))
            .WithTrackingName(TrackingNames.CatalogRegistration);

        context.RegisterSourceOutput(
            registry.Combine(canRegister).Select(static (pair, _) => new SupportInput(pair.Left, pair.Right)),
            EmitSupport);
    }

    private static void ReportDiagnostics(SourceProductionContext context, EquatableArray<PmlDiagnostic> diagnostics)
    {
        foreach (var diagnostic in diagnostics)
        {
            context.ReportDiagnostic(RoslynDiagnostics.ToRoslyn(diagnostic));
        }
    }

    private static void EmitSchema(SourceProductionContext context, (SchemaModel Model, EquatableArray<string> Losers) input)
    {
        var (model, losers) = input;
        if (losers.Contains(model.FilePath))
        {
            return;
        }

        Guarded(context, model.FilePath, () =>
        {
            // '@' (an escaped keyword in a folder-derived namespace) is no character for a file name.
            var hintName = model.FullTypeName.Replace("@", string.Empty) + ".g.cs";
            try
            {
                context.AddSource(hintName, SchemaClassEmitter.Emit(model));
            }
            catch (ArgumentException)
            {
                // The same file listed twice yields the same hint name and identical code (PCG0026 says so): keep one.
            }
        });
    }

    private static void EmitSupport(SourceProductionContext context, SupportInput input)
    {
        if (input.SchemaTypes.IsEmpty)
        {
            return;
        }

        Guarded(context, string.Empty, () => context.AddSource("PromptCache.Generated.g.cs", SupportEmitter.Emit(input.SchemaTypes, input.RegisterInCatalog)));
    }

    // An emitter bug must surface as PCG0027, never as a crashed generator (which would drop every file's output).
    private static void Guarded(SourceProductionContext context, string filePath, Action emit)
    {
        try
        {
            emit();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var location = filePath.Length == 0 ? PmlLocation.None : SchemaCompiler.StartOf(filePath);
            context.ReportDiagnostic(RoslynDiagnostics.ToRoslyn(PmlDiagnostic.Create(
                PmlDiagnostics.GeneratorInternalError, location, ex.GetType().Name + ": " + ex.Message)));
        }
    }
}
