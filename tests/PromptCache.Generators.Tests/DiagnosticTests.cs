using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using PromptCache.Generators.Tests.Infrastructure;

namespace PromptCache.Generators.Tests;

/// <summary>
/// One case per diagnostic ID the generator reports at build time: the ID, its severity, and the file,
/// line and column in the .pml (1-based, as an IDE shows them). Prompt-side IDs (PCG0028-PCG0036) and the
/// token-count checks (PCG0024, PCG0025) need a request or a tokenizer, which a build does not have.
/// </summary>
public sealed class DiagnosticTests
{
    private const string File = "Prompts/s.pml";

    public static TheoryData<string, DiagnosticSeverity, int, int, string> SchemaCases => new()
    {
        { "PCG0001", DiagnosticSeverity.Error, 2, 22, "<schema name=\"s\">\n  <module name=\"a\" x=>text</module>\n</schema>" },
        { "PCG0002", DiagnosticSeverity.Error, 2, 4, "<schema name=\"s\">\n  <module name=\"a\">text\n</schema>" },
        { "PCG0003", DiagnosticSeverity.Error, 2, 26, "<schema name=\"s\">\n  <module name=\"a\">text</union>\n</schema>" },
        { "PCG0004", DiagnosticSeverity.Error, 2, 17, "<schema name=\"s\">\n  <module name=\"1a\">text</module>\n</schema>" },
        { "PCG0005", DiagnosticSeverity.Error, 3, 17, "<schema name=\"s\">\n  <module name=\"a\">x</module>\n  <module name=\"a\">y</module>\n</schema>" },
        { "PCG0006", DiagnosticSeverity.Error, 2, 69, "<schema name=\"s\">\n  <module name=\"a\"><parameter name=\"p\" length=\"2\"/><parameter name=\"p\" length=\"2\"/></module>\n</schema>" },
        { "PCG0007", DiagnosticSeverity.Error, 2, 21, "<schema name=\"s\">\n  <module name=\"a\"><parameter name=\"p\"/></module>\n</schema>" },
        { "PCG0008", DiagnosticSeverity.Error, 2, 48, "<schema name=\"s\">\n  <module name=\"a\"><parameter name=\"p\" length=\"0\"/></module>\n</schema>" },
        { "PCG0009", DiagnosticSeverity.Error, 2, 4, "<schema name=\"s\">\n  <parameter name=\"p\" length=\"3\"/>\n</schema>" },
        { "PCG0010", DiagnosticSeverity.Error, 2, 38, "<schema name=\"s\">\n  <union><module name=\"a\">x</module><parameter name=\"p\" length=\"1\"/></union>\n</schema>" },
        { "PCG0011", DiagnosticSeverity.Error, 2, 20, "<schema name=\"s\">\n  <union scaffold=\"c\"><module name=\"a\">x</module></union>\n</schema>" },
        { "PCG0012", DiagnosticSeverity.Error, 2, 25, "<schema name=\"s\">\n  <module name=\"a\" src=\"missing.txt\"/>\n</schema>" },
        { "PCG0013", DiagnosticSeverity.Warning, 2, 4, "<schema name=\"s\">\n  <module name=\"a\" src=\"docs/handbook.txt\">inline</module>\n</schema>" },
        { "PCG0014", DiagnosticSeverity.Warning, 2, 21, "<schema name=\"s\">\n  <module name=\"a\"><foo>x</foo></module>\n</schema>" },
        { "PCG0015", DiagnosticSeverity.Warning, 2, 20, "<schema name=\"s\">\n  <module name=\"a\" colour=\"red\">x</module>\n</schema>" },
        { "PCG0016", DiagnosticSeverity.Warning, 2, 22, "<schema name=\"s\">\n  <module name=\"a\">0 <= x < n</module>\n</schema>" },
        { "PCG0017", DiagnosticSeverity.Error, 1, 2, "<prompt name=\"s\">\n</prompt>" },
        { "PCG0018", DiagnosticSeverity.Error, 2, 27, "<schema name=\"s\">\n  <module name=\"a\" cache=\"maybe\">x</module>\n</schema>" },
        { "PCG0019", DiagnosticSeverity.Warning, 2, 10, "<schema name=\"s\">\n  <user><system>x</system></user>\n</schema>" },
        { "PCG0020", DiagnosticSeverity.Error, 1, 2, "<schema>\n  <module name=\"a\">x</module>\n</schema>" },
        { "PCG0021", DiagnosticSeverity.Error, 2, 4, "<schema name=\"s\">\n  <union></union>\n</schema>" },
        { "PCG0022", DiagnosticSeverity.Warning, 2, 10, "<schema name=\"s\">\n  <union>text<module name=\"a\">x</module></union>\n</schema>" },
        { "PCG0023", DiagnosticSeverity.Error, 2, 20, "<schema name=\"s\">\n  <module name=\"a\" name=\"b\">x</module>\n</schema>" },
        // PCG0026 inside one schema: two module names, two parameter names, and a module named like the API's own member.
        { "PCG0026", DiagnosticSeverity.Error, 3, 17, "<schema name=\"s\">\n  <module name=\"travel-plan\">x</module>\n  <module name=\"travel_plan\">y</module>\n</schema>" },
        { "PCG0026", DiagnosticSeverity.Error, 3, 5, "<schema name=\"s\">\n  <module name=\"a\"><parameter name=\"city-name\" length=\"2\"/>\n    <parameter name=\"city_name\" length=\"2\"/></module>\n</schema>" },
        { "PCG0026", DiagnosticSeverity.Error, 2, 17, "<schema name=\"s\">\n  <module name=\"user\">x</module>\n</schema>" },
        // Tokens is the nested class of token constants (when the project names a tokenizer): reserved always, so adding a tokenizer never breaks a schema.
        { "PCG0026", DiagnosticSeverity.Error, 2, 17, "<schema name=\"s\">\n  <module name=\"tokens\">x</module>\n</schema>" },
    };

    [Theory]
    [MemberData(nameof(SchemaCases))]
    public void Schema_problem_is_reported_at_its_place_in_the_pml(string id, DiagnosticSeverity severity, int line, int column, string pml)
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.File(File, pml),
            GeneratorHarness.Fixture("docs/handbook.txt", "Prompts/docs/handbook.txt"));

        Assert.Empty(run.Exceptions);
        AssertReported(run, id, severity, GeneratorHarness.ProjectDir + File, line, column);

        // An error means no class (the code would be wrong); a warning still gives one.
        Assert.Equal(severity == DiagnosticSeverity.Warning, run.Sources.ContainsKey("Consumer.Prompts.SPrompt.g.cs"));
    }

    [Fact]
    public void PCG0026_two_files_that_would_generate_the_same_class()
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.File("Prompts/one.pml", "<schema name=\"travel\">\n  <module name=\"a\">x</module>\n</schema>"),
            GeneratorHarness.File("Prompts/two.pml", "<schema name=\"Travel\">\n  <module name=\"b\">y</module>\n</schema>"));

        AssertReported(run, "PCG0026", DiagnosticSeverity.Error, GeneratorHarness.ProjectDir + "Prompts/two.pml", 1, 15);
        Assert.Single(run.Diagnostics);

        // The first file (by path) keeps the name; the code still compiles.
        Assert.Contains("public const string FileName = \"one.pml\";", run.Sources["Consumer.Prompts.TravelPrompt.g.cs"]);
        Assert.Empty(run.CompilationProblems);
    }

    [Theory]
    [InlineData("TypeName", "Not valid", "TypeName 'Not valid' is not a valid C# identifier")]
    [InlineData("Namespace", "1bad", "Namespace '1bad' is not a valid C# namespace")]
    public void PCG0037_item_metadata_that_is_not_valid_csharp(string metadataName, string value, string message)
    {
        var file = GeneratorHarness.File("Prompts/one.pml", "<schema name=\"travel\">\n  <module name=\"a\">x</module>\n</schema>");
        var metadata = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            [file.Path] = new Dictionary<string, string> { ["build_metadata.AdditionalFiles." + metadataName] = value },
        };

        var run = GeneratorHarness.Run(GeneratorHarness.CreateDriver(new[] { file }, metadata), GeneratorHarness.CreateCompilation());

        AssertReported(run, "PCG0037", DiagnosticSeverity.Error, file.Path, 1, 15);
        Assert.Equal(message, Assert.Single(run.Diagnostics).GetMessage());
        Assert.DoesNotContain(run.Sources.Keys, k => k.Contains("TravelPrompt", StringComparison.Ordinal));
    }

    [Fact]
    public void PCG0027_an_exception_inside_the_generator_becomes_a_diagnostic_at_the_file()
    {
        var run = GeneratorHarness.Run(new UnreadableText(GeneratorHarness.ProjectDir + "Prompts/broken.pml"));

        Assert.Empty(run.Exceptions);
        AssertReported(run, "PCG0027", DiagnosticSeverity.Error, GeneratorHarness.ProjectDir + "Prompts/broken.pml", 1, 1);
        Assert.Contains("IOException: disk on fire", run.Diagnostics[0].GetMessage());
    }

    private static void AssertReported(GeneratorRun run, string id, DiagnosticSeverity severity, string path, int line, int column)
    {
        var described = string.Join("\n", run.Diagnostics.Select(Describe));
        Assert.True(
            run.Diagnostics.Any(d => d.Id == id && d.Severity == severity && Matches(d, path, line, column)),
            $"expected {id} {severity} at {path}({line},{column}); got:\n{described}");
    }

    private static bool Matches(Diagnostic diagnostic, string path, int line, int column)
    {
        var span = diagnostic.Location.GetLineSpan();
        return diagnostic.Location.Kind == LocationKind.ExternalFile
            && span.Path == path
            && span.StartLinePosition == new LinePosition(line - 1, column - 1);
    }

    private static string Describe(Diagnostic d)
    {
        var span = d.Location.GetLineSpan();
        return $"  {d.Id} {d.Severity} {span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): {d.GetMessage()}";
    }

    private sealed class UnreadableText(string path) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => throw new IOException("disk on fire");
    }
}
