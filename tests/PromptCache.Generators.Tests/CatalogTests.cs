extern alias generator;

using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using PromptCache.Generators.Tests.Infrastructure;
using PromptCache.Pml;
using RoslynDiagnostics = generator::PromptCache.Generators.Diagnostics.RoslynDiagnostics;

namespace PromptCache.Generators.Tests;

/// <summary>
/// The Roslyn descriptors are a hand-kept table (release tracking needs literal IDs), so these tests keep it,
/// the shared PML catalog and AnalyzerReleases.Unshipped.md in agreement.
/// </summary>
public sealed partial class CatalogTests
{
    [Fact]
    public void Every_catalog_entry_has_a_matching_roslyn_descriptor()
    {
        var descriptors = RoslynDiagnostics.All.ToDictionary(d => d.Id);

        Assert.Equal(PmlDiagnostics.All.Select(d => d.Id), RoslynDiagnostics.All.Select(d => d.Id));
        foreach (var entry in PmlDiagnostics.All)
        {
            var descriptor = descriptors[entry.Id];
            Assert.Equal(entry.Title, descriptor.Title.ToString());
            Assert.Equal(entry.Category, descriptor.Category);
            Assert.Equal(ToRoslyn(entry.Severity), descriptor.DefaultSeverity);
            Assert.Equal(entry.HelpText, descriptor.Description.ToString());
            Assert.True(descriptor.IsEnabledByDefault);
        }
    }

    [Fact]
    public void Unshipped_release_file_lists_every_rule_with_its_category_and_severity()
    {
        var file = Path.Combine(RepositoryPaths.Root, "generator", "PromptCache.Generators", "AnalyzerReleases.Unshipped.md");
        var rows = File.ReadAllLines(file)
            .Select(line => Row().Match(line))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups["id"].Value, m => (Category: m.Groups["category"].Value, Severity: m.Groups["severity"].Value));

        Assert.Equal(PmlDiagnostics.All.Select(d => d.Id).Order(), rows.Keys.Order());
        foreach (var entry in PmlDiagnostics.All)
        {
            Assert.Equal((entry.Category, entry.Severity.ToString()), rows[entry.Id]);
        }
    }

    [Fact]
    public void A_diagnostic_keeps_its_message_and_points_into_the_pml_file()
    {
        var location = new PmlLocation("/p/x.pml", 10, 4, 2, 3, 2, 7);
        var diagnostic = generator::PromptCache.Pml.PmlDiagnostic.Create(
            generator::PromptCache.Pml.PmlDiagnostics.InvalidName,
            new generator::PromptCache.Pml.PmlLocation(location.FilePath, location.Start, location.Length, location.Line, location.Column, location.EndLine, location.EndColumn),
            "Module",
            "1a");

        var roslyn = RoslynDiagnostics.ToRoslyn(diagnostic);

        Assert.Equal("PCG0004", roslyn.Id);
        Assert.Equal(diagnostic.Message, roslyn.GetMessage());
        Assert.Equal(LocationKind.ExternalFile, roslyn.Location.Kind);
        var span = roslyn.Location.GetLineSpan();
        Assert.Equal("/p/x.pml", span.Path);
        Assert.Equal((1, 2, 1, 6), (span.StartLinePosition.Line, span.StartLinePosition.Character, span.EndLinePosition.Line, span.EndLinePosition.Character));
        Assert.Equal(10, roslyn.Location.SourceSpan.Start);
    }

    private static DiagnosticSeverity ToRoslyn(PmlSeverity severity) => severity switch
    {
        PmlSeverity.Error => DiagnosticSeverity.Error,
        PmlSeverity.Warning => DiagnosticSeverity.Warning,
        _ => DiagnosticSeverity.Info,
    };

    [GeneratedRegex(@"^(?<id>PCG\d{4}) \| (?<category>[^|]+?) \| (?<severity>\w+) \|")]
    private static partial Regex Row();
}
