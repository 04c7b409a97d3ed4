using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using PromptCache.Pml;
using PromptCache.Tokenizers;

namespace PromptCache.Analyzers.CallSites;

/// <summary>
/// PCG0036 at the call site: a constant string passed to a generated parameter method is longer, in the
/// project's tokenizer's tokens, than the slot the schema reserves for it. The generated arguments carry
/// <c>[PromptSlot(name, module, length)]</c> when the project names a tokenizer; without one nothing is checked.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ArgumentLengthAnalyzer : DiagnosticAnalyzer
{
    private const string SlotAttribute = "PromptCache.Pml.PromptSlotAttribute";

    /// <summary>PCG0036 (a literal ID, as release tracking requires), with the catalog's title, message and help.</summary>
    public static readonly DiagnosticDescriptor Rule = new DiagnosticDescriptor(
        "PCG0036",
        PmlDiagnostics.ArgumentLongerThanSlot.Title,
        PmlDiagnostics.ArgumentLongerThanSlot.MessageFormat,
        PmlDiagnostics.ArgumentLongerThanSlot.Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: PmlDiagnostics.ArgumentLongerThanSlot.HelpText);

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var attribute = start.Compilation.GetTypeByMetadataName(SlotAttribute);
            if (attribute is null)
            {
                return;
            }

            var tokenizer = ProjectTokenizer.Find(start.Options.AdditionalFiles, start.Options.AnalyzerConfigOptionsProvider, start.CancellationToken);
            if (tokenizer is null)
            {
                return;
            }

            start.RegisterOperationAction(c => Analyze(c, attribute, tokenizer), OperationKind.Argument);
        });
    }

    private static void Analyze(OperationAnalysisContext context, INamedTypeSymbol attribute, Tokenizer tokenizer)
    {
        var argument = (IArgumentOperation)context.Operation;
        if (argument.Parameter is null || argument.Value.ConstantValue is not { HasValue: true, Value: string text })
        {
            return;
        }

        foreach (var data in argument.Parameter.GetAttributes())
        {
            if (!SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute) || data.ConstructorArguments.Length != 3
                || data.ConstructorArguments[2].Value is not int length)
            {
                continue;
            }

            var count = tokenizer.EncodeToIds(text, addSpecialTokens: false).Count;
            if (count > length)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    Rule, argument.Value.Syntax.GetLocation(), data.ConstructorArguments[0].Value, data.ConstructorArguments[1].Value, count, length));
            }
        }
    }
}
