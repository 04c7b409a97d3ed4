extern alias generator;

using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using PromptSchemaGenerator = generator::PromptCache.Generators.PromptSchemaGenerator;

namespace PromptCache.Generators.Tests.Infrastructure;

/// <summary>
/// Drives <see cref="PromptSchemaGenerator"/> with <see cref="CSharpGeneratorDriver"/> the way the compiler
/// does: a consumer compilation, .pml AdditionalFiles and MSBuild options (project "Consumer" in /project/).
/// </summary>
internal static class GeneratorHarness
{
    public const string ProjectDir = "/project/";
    public const string RootNamespace = "Consumer";

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    /// <summary>A file at <c>/project/<paramref name="relativePath"/></c>.</summary>
    public static InMemoryAdditionalText File(string relativePath, string text) => new(ProjectDir + relativePath, text);

    /// <summary>A fixture .pml from the test project's Fixtures folder, placed at <c>/project/<paramref name="relativePath"/></c>.</summary>
    public static InMemoryAdditionalText Fixture(string fixtureName, string? relativePath = null) =>
        File(relativePath ?? fixtureName, System.IO.File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", fixtureName)));

    /// <summary>A consumer compilation with the .NET and PromptCache.Pml references, and the given C# sources.</summary>
    public static CSharpCompilation CreateCompilation(params string[] sources) =>
        CSharpCompilation.Create(
            "Consumer",
            sources.Select(s => CSharpSyntaxTree.ParseText(s, ParseOptions)),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    /// <summary>A driver over the given files; step tracking is on (by default) so incrementality can be checked.</summary>
    public static GeneratorDriver CreateDriver(
        IEnumerable<AdditionalText> files,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? metadata = null,
        IReadOnlyDictionary<string, string>? globals = null,
        bool trackSteps = true) =>
        CSharpGeneratorDriver.Create(
            new[] { new PromptSchemaGenerator().AsSourceGenerator() },
            files,
            ParseOptions,
            new TestOptionsProvider(
                globals ?? new Dictionary<string, string>
                {
                    ["build_property.RootNamespace"] = RootNamespace,
                    ["build_property.ProjectDir"] = ProjectDir,
                },
                metadata ?? new Dictionary<string, IReadOnlyDictionary<string, string>>()),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator once over <paramref name="files"/> and compiles the result.</summary>
    public static GeneratorRun Run(params AdditionalText[] files) => Run(CreateDriver(files), CreateCompilation());

    /// <summary>Runs <paramref name="driver"/> on <paramref name="compilation"/>.</summary>
    public static GeneratorRun Run(GeneratorDriver driver, CSharpCompilation compilation)
    {
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        return new GeneratorRun(driver, driver.GetRunResult(), output, generatorDiagnostics);
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return platform
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(PromptCache.Pml.Requests.PromptRequest).Assembly.Location)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
    }
}

/// <summary>One generator run: the driver (for a second run), its result and the updated compilation.</summary>
internal sealed record GeneratorRun(
    GeneratorDriver Driver,
    GeneratorDriverRunResult Result,
    Compilation Output,
    ImmutableArray<Diagnostic> GeneratorDiagnostics)
{
    /// <summary>The generator's own diagnostics (PCG...), in file and position order.</summary>
    public IReadOnlyList<Diagnostic> Diagnostics => Result.Diagnostics
        .OrderBy(d => d.Location.GetLineSpan().Path, StringComparer.Ordinal)
        .ThenBy(d => d.Location.SourceSpan.Start)
        .ToList();

    /// <summary>The generated sources by hint name.</summary>
    public IReadOnlyDictionary<string, string> Sources => Result.Results
        .SelectMany(r => r.GeneratedSources)
        .ToDictionary(s => s.HintName, s => s.SourceText.ToString());

    /// <summary>Errors and warnings from compiling the consumer with the generated code.</summary>
    public IReadOnlyList<Diagnostic> CompilationProblems => Output.GetDiagnostics()
        .Where(d => d.Severity >= DiagnosticSeverity.Warning)
        .ToList();

    /// <summary>Exceptions the generator threw (there must be none).</summary>
    public IReadOnlyList<Exception> Exceptions => Result.Results.Where(r => r.Exception is not null).Select(r => r.Exception!).ToList();
}
