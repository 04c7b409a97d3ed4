using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using PromptCache.Pml;

namespace PromptCache.Generators.Diagnostics;

// The Roslyn side of the catalog, one row per PmlDiagnostics entry. IDs, categories and severities are
// literals here (not read from the catalog) because release tracking (RS2000-RS2008) can only check
// descriptors it can read at compile time; a test proves every row matches the catalog, and
// AnalyzerReleases.Unshipped.md lists the same rows.
internal static partial class RoslynDiagnostics
{
    private static readonly DiagnosticDescriptor PCG0001 = new DiagnosticDescriptor("PCG0001", PmlDiagnostics.MalformedMarkup.Title, PassThroughMessage, "PML.Syntax", DiagnosticSeverity.Error, true, PmlDiagnostics.MalformedMarkup.HelpText);
    private static readonly DiagnosticDescriptor PCG0002 = new DiagnosticDescriptor("PCG0002", PmlDiagnostics.UnclosedElement.Title, PassThroughMessage, "PML.Syntax", DiagnosticSeverity.Error, true, PmlDiagnostics.UnclosedElement.HelpText);
    private static readonly DiagnosticDescriptor PCG0003 = new DiagnosticDescriptor("PCG0003", PmlDiagnostics.MismatchedClosingTag.Title, PassThroughMessage, "PML.Syntax", DiagnosticSeverity.Error, true, PmlDiagnostics.MismatchedClosingTag.HelpText);
    private static readonly DiagnosticDescriptor PCG0004 = new DiagnosticDescriptor("PCG0004", PmlDiagnostics.InvalidName.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Error, true, PmlDiagnostics.InvalidName.HelpText);
    private static readonly DiagnosticDescriptor PCG0005 = new DiagnosticDescriptor("PCG0005", PmlDiagnostics.DuplicateModuleName.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Error, true, PmlDiagnostics.DuplicateModuleName.HelpText);
    private static readonly DiagnosticDescriptor PCG0006 = new DiagnosticDescriptor("PCG0006", PmlDiagnostics.DuplicateParameterName.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Error, true, PmlDiagnostics.DuplicateParameterName.HelpText);
    private static readonly DiagnosticDescriptor PCG0007 = new DiagnosticDescriptor("PCG0007", PmlDiagnostics.MissingParameterLength.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Error, true, PmlDiagnostics.MissingParameterLength.HelpText);
    private static readonly DiagnosticDescriptor PCG0008 = new DiagnosticDescriptor("PCG0008", PmlDiagnostics.InvalidParameterLength.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Error, true, PmlDiagnostics.InvalidParameterLength.HelpText);
    private static readonly DiagnosticDescriptor PCG0009 = new DiagnosticDescriptor("PCG0009", PmlDiagnostics.ParameterUnderSchema.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Error, true, PmlDiagnostics.ParameterUnderSchema.HelpText);
    private static readonly DiagnosticDescriptor PCG0010 = new DiagnosticDescriptor("PCG0010", PmlDiagnostics.NonModuleInUnion.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Error, true, PmlDiagnostics.NonModuleInUnion.HelpText);
    private static readonly DiagnosticDescriptor PCG0011 = new DiagnosticDescriptor("PCG0011", PmlDiagnostics.UnknownUnionScaffold.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Error, true, PmlDiagnostics.UnknownUnionScaffold.HelpText);
    private static readonly DiagnosticDescriptor PCG0012 = new DiagnosticDescriptor("PCG0012", PmlDiagnostics.MissingSourceFile.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Error, true, PmlDiagnostics.MissingSourceFile.HelpText);
    private static readonly DiagnosticDescriptor PCG0013 = new DiagnosticDescriptor("PCG0013", PmlDiagnostics.SourceWithInlineContent.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Warning, true, PmlDiagnostics.SourceWithInlineContent.HelpText);
    private static readonly DiagnosticDescriptor PCG0014 = new DiagnosticDescriptor("PCG0014", PmlDiagnostics.UnknownElement.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Warning, true, PmlDiagnostics.UnknownElement.HelpText);
    private static readonly DiagnosticDescriptor PCG0015 = new DiagnosticDescriptor("PCG0015", PmlDiagnostics.UnknownAttribute.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Warning, true, PmlDiagnostics.UnknownAttribute.HelpText);
    private static readonly DiagnosticDescriptor PCG0016 = new DiagnosticDescriptor("PCG0016", PmlDiagnostics.BareMarkupCharacter.Title, PassThroughMessage, "PML.Syntax", DiagnosticSeverity.Warning, true, PmlDiagnostics.BareMarkupCharacter.HelpText);
    private static readonly DiagnosticDescriptor PCG0017 = new DiagnosticDescriptor("PCG0017", PmlDiagnostics.RootNotSchema.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Error, true, PmlDiagnostics.RootNotSchema.HelpText);
    private static readonly DiagnosticDescriptor PCG0018 = new DiagnosticDescriptor("PCG0018", PmlDiagnostics.InvalidCacheValue.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Error, true, PmlDiagnostics.InvalidCacheValue.HelpText);
    private static readonly DiagnosticDescriptor PCG0019 = new DiagnosticDescriptor("PCG0019", PmlDiagnostics.NestedRoleTag.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Warning, true, PmlDiagnostics.NestedRoleTag.HelpText);
    private static readonly DiagnosticDescriptor PCG0020 = new DiagnosticDescriptor("PCG0020", PmlDiagnostics.MissingRequiredAttribute.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Error, true, PmlDiagnostics.MissingRequiredAttribute.HelpText);
    private static readonly DiagnosticDescriptor PCG0021 = new DiagnosticDescriptor("PCG0021", PmlDiagnostics.EmptyUnion.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Error, true, PmlDiagnostics.EmptyUnion.HelpText);
    private static readonly DiagnosticDescriptor PCG0022 = new DiagnosticDescriptor("PCG0022", PmlDiagnostics.TextInUnionIgnored.Title, PassThroughMessage, "PML.Schema", DiagnosticSeverity.Warning, true, PmlDiagnostics.TextInUnionIgnored.HelpText);
    private static readonly DiagnosticDescriptor PCG0023 = new DiagnosticDescriptor("PCG0023", PmlDiagnostics.DuplicateAttribute.Title, PassThroughMessage, "PML.Syntax", DiagnosticSeverity.Error, true, PmlDiagnostics.DuplicateAttribute.HelpText);
    private static readonly DiagnosticDescriptor PCG0024 = new DiagnosticDescriptor("PCG0024", PmlDiagnostics.ScaffoldLongerThanSlot.Title, PassThroughMessage, "PML.Layout", DiagnosticSeverity.Error, true, PmlDiagnostics.ScaffoldLongerThanSlot.HelpText);
    private static readonly DiagnosticDescriptor PCG0025 = new DiagnosticDescriptor("PCG0025", PmlDiagnostics.SchemaLongerThanContext.Title, PassThroughMessage, "PML.Layout", DiagnosticSeverity.Error, true, PmlDiagnostics.SchemaLongerThanContext.HelpText);
    private static readonly DiagnosticDescriptor PCG0026 = new DiagnosticDescriptor("PCG0026", PmlDiagnostics.TypeNameCollision.Title, PassThroughMessage, "PML.Generator", DiagnosticSeverity.Error, true, PmlDiagnostics.TypeNameCollision.HelpText);
    private static readonly DiagnosticDescriptor PCG0027 = new DiagnosticDescriptor("PCG0027", PmlDiagnostics.GeneratorInternalError.Title, PassThroughMessage, "PML.Generator", DiagnosticSeverity.Error, true, PmlDiagnostics.GeneratorInternalError.HelpText);
    private static readonly DiagnosticDescriptor PCG0028 = new DiagnosticDescriptor("PCG0028", PmlDiagnostics.RootNotPrompt.Title, PassThroughMessage, "PML.Prompt", DiagnosticSeverity.Error, true, PmlDiagnostics.RootNotPrompt.HelpText);
    private static readonly DiagnosticDescriptor PCG0029 = new DiagnosticDescriptor("PCG0029", PmlDiagnostics.PromptSchemaMismatch.Title, PassThroughMessage, "PML.Prompt", DiagnosticSeverity.Error, true, PmlDiagnostics.PromptSchemaMismatch.HelpText);
    private static readonly DiagnosticDescriptor PCG0030 = new DiagnosticDescriptor("PCG0030", PmlDiagnostics.UnknownModuleReference.Title, PassThroughMessage, "PML.Prompt", DiagnosticSeverity.Error, true, PmlDiagnostics.UnknownModuleReference.HelpText);
    private static readonly DiagnosticDescriptor PCG0031 = new DiagnosticDescriptor("PCG0031", PmlDiagnostics.UnknownParameter.Title, PassThroughMessage, "PML.Prompt", DiagnosticSeverity.Error, true, PmlDiagnostics.UnknownParameter.HelpText);
    private static readonly DiagnosticDescriptor PCG0032 = new DiagnosticDescriptor("PCG0032", PmlDiagnostics.TextBeforeLastReference.Title, PassThroughMessage, "PML.Prompt", DiagnosticSeverity.Error, true, PmlDiagnostics.TextBeforeLastReference.HelpText);
    private static readonly DiagnosticDescriptor PCG0033 = new DiagnosticDescriptor("PCG0033", PmlDiagnostics.TextInsideModuleReference.Title, PassThroughMessage, "PML.Prompt", DiagnosticSeverity.Error, true, PmlDiagnostics.TextInsideModuleReference.HelpText);
    private static readonly DiagnosticDescriptor PCG0034 = new DiagnosticDescriptor("PCG0034", PmlDiagnostics.DuplicateModuleReference.Title, PassThroughMessage, "PML.Prompt", DiagnosticSeverity.Error, true, PmlDiagnostics.DuplicateModuleReference.HelpText);
    private static readonly DiagnosticDescriptor PCG0035 = new DiagnosticDescriptor("PCG0035", PmlDiagnostics.ConflictingUnionSelection.Title, PassThroughMessage, "PML.Prompt", DiagnosticSeverity.Error, true, PmlDiagnostics.ConflictingUnionSelection.HelpText);
    private static readonly DiagnosticDescriptor PCG0036 = new DiagnosticDescriptor("PCG0036", PmlDiagnostics.ArgumentLongerThanSlot.Title, PassThroughMessage, "PML.Prompt", DiagnosticSeverity.Error, true, PmlDiagnostics.ArgumentLongerThanSlot.HelpText);
    private static readonly DiagnosticDescriptor PCG0037 = new DiagnosticDescriptor("PCG0037", PmlDiagnostics.InvalidGeneratorOption.Title, PassThroughMessage, "PML.Generator", DiagnosticSeverity.Error, true, PmlDiagnostics.InvalidGeneratorOption.HelpText);

    private static readonly DiagnosticDescriptor[] Table =
    {
        PCG0001,
        PCG0002,
        PCG0003,
        PCG0004,
        PCG0005,
        PCG0006,
        PCG0007,
        PCG0008,
        PCG0009,
        PCG0010,
        PCG0011,
        PCG0012,
        PCG0013,
        PCG0014,
        PCG0015,
        PCG0016,
        PCG0017,
        PCG0018,
        PCG0019,
        PCG0020,
        PCG0021,
        PCG0022,
        PCG0023,
        PCG0024,
        PCG0025,
        PCG0026,
        PCG0027,
        PCG0028,
        PCG0029,
        PCG0030,
        PCG0031,
        PCG0032,
        PCG0033,
        PCG0034,
        PCG0035,
        PCG0036,
        PCG0037,
    };

    // Declared after Table on purpose: static initializers run in textual order within one file, but in
    // no specified order across partial files. A catalog entry without a row here still gets a working
    // descriptor; it is only missing from release tracking (and the sync test fails).
    private static readonly Dictionary<string, DiagnosticDescriptor> Descriptors = Table
        .Concat(PmlDiagnostics.All.Where(d => Table.All(t => t.Id != d.Id)).Select(ToDescriptor))
        .ToDictionary(d => d.Id);
}
