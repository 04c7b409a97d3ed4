using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using PromptCache.Pml;

namespace PromptCache.Generators.Diagnostics;

/// <summary>
/// The one place where the shared PML catalog (<see cref="PmlDiagnostics"/>) becomes Roslyn
/// <see cref="DiagnosticDescriptor"/>s, and where a <see cref="PmlDiagnostic"/> becomes a Roslyn
/// <see cref="Diagnostic"/> located in the .pml file itself.
/// </summary>
internal static partial class RoslynDiagnostics
{
    // The parser formats its messages (the CLI and the runtime print them as they are), so the Roslyn
    // message is a pass-through of that text; title, category and help come from the catalog.
    private const string PassThroughMessage = "{0}";

    /// <summary>Every descriptor of the table (the release-tracked ones), in catalog order.</summary>
    public static IReadOnlyList<DiagnosticDescriptor> All => Table;

    /// <summary>The descriptor of <paramref name="id"/>; unknown IDs (a catalog/parser mismatch) map to the internal-error rule.</summary>
    public static DiagnosticDescriptor For(string id) =>
        Descriptors.TryGetValue(id, out var descriptor) ? descriptor : Descriptors[PmlDiagnostics.GeneratorInternalError.Id];

    /// <summary>Converts a PML diagnostic, keeping its severity and pointing into the .pml file.</summary>
    public static Diagnostic ToRoslyn(PmlDiagnostic diagnostic)
    {
        var descriptor = For(diagnostic.Id);
        var message = descriptor.Id == diagnostic.Id ? diagnostic.Message : diagnostic.Id + ": " + diagnostic.Message;
        return Diagnostic.Create(
            descriptor,
            ToLocation(diagnostic.Location),
            ToRoslyn(diagnostic.Severity),
            additionalLocations: null,
            properties: null,
            message);
    }

    /// <summary>A location in an external (non-C#) file: path, character span and 0-based line span.</summary>
    public static Location ToLocation(PmlLocation location)
    {
        if (location.IsNone || location.FilePath.Length == 0)
        {
            return Location.None;
        }

        var start = new LinePosition(location.Line - 1, location.Column - 1);
        var end = new LinePosition(
            System.Math.Max(location.EndLine - 1, start.Line),
            location.EndLine - 1 > start.Line ? System.Math.Max(location.EndColumn - 1, 0) : System.Math.Max(location.EndColumn - 1, start.Character));
        return Location.Create(
            location.FilePath,
            new TextSpan(System.Math.Max(location.Start, 0), System.Math.Max(location.Length, 0)),
            new LinePositionSpan(start, end));
    }

    private static DiagnosticDescriptor ToDescriptor(PmlDiagnosticDescriptor d) => new(
        d.Id,
        d.Title,
        PassThroughMessage,
        d.Category,
        ToRoslyn(d.Severity),
        isEnabledByDefault: true,
        description: d.HelpText);

    private static DiagnosticSeverity ToRoslyn(PmlSeverity severity) => severity switch
    {
        PmlSeverity.Error => DiagnosticSeverity.Error,
        PmlSeverity.Warning => DiagnosticSeverity.Warning,
        _ => DiagnosticSeverity.Info,
    };
}
