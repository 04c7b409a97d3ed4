using PromptCache.Generators.Inputs;
using PromptCache.Pml;
using PromptCache.Pml.Layout;

namespace PromptCache.Generators.Model;

/// <summary>
/// Everything the emitter needs for one schema's class, as plain values (no syntax nodes, no symbols), so
/// the generator's cache can tell by equality alone whether a class must be re-emitted.
/// </summary>
/// <param name="FilePath">The .pml path (diagnostics and docs).</param>
/// <param name="Namespace">The class's namespace; empty for the global namespace.</param>
/// <param name="TypeName">The class name, e.g. <c>TravelPrompt</c>.</param>
/// <param name="SchemaName">The PML schema name, e.g. <c>travel</c>.</param>
/// <param name="Source">The PML text with line endings normalised to "\n".</param>
/// <param name="ContentHash">The parser's content hash (PML text plus loaded <c>src</c> files).</param>
/// <param name="SourceFiles">The <c>src</c> files the schema loaded, keyed as the parser asked for them.</param>
/// <param name="Root">The schema's top-level modules and unions.</param>
/// <param name="ModuleCount">How many modules the schema has (each gets a slot in a selection).</param>
/// <param name="Layout">The structural layout, emitted as static data.</param>
/// <param name="NameLocation">Where the schema's name is (for cross-file collision reports).</param>
/// <param name="Tokens">The token-exact layout when the project names a tokenizer; null keeps the layout structural.</param>
internal sealed record SchemaModel(
    string FilePath,
    string Namespace,
    string TypeName,
    string SchemaName,
    string Source,
    string ContentHash,
    EquatableArray<SourceFileText> SourceFiles,
    ScopeModel Root,
    int ModuleCount,
    SchemaLayout Layout,
    PmlLocation NameLocation,
    Tokens.TokenLayoutModel? Tokens = null)
{
    /// <summary>The namespace-qualified class name.</summary>
    public string FullTypeName => Namespace.Length == 0 ? TypeName : Namespace + "." + TypeName;
}

/// <summary>What a scope (the schema root, or a module) offers to select: optional modules and unions.</summary>
/// <param name="Modules">Directly nested modules (through role tags), each optional.</param>
/// <param name="Unions">Directly nested unions, each a required choice.</param>
internal sealed record ScopeModel(EquatableArray<ModuleModel> Modules, EquatableArray<UnionModel> Unions);

/// <summary>A module and the method that selects it.</summary>
/// <param name="Name">The PML name.</param>
/// <param name="Index">The module's position in document order (parents before children): its selection slot.</param>
/// <param name="Path">The module's path from the schema root: PML names, union members under their parent.</param>
/// <param name="MethodName">The C# method that selects it, e.g. <c>TravelPlan</c>.</param>
/// <param name="Cache">False for <c>cache="false"</c> modules.</param>
/// <param name="Parameters">Its parameter slots, in document order.</param>
/// <param name="Scope">Its nested modules and unions.</param>
/// <param name="ModulesTypeName">The builder type for its nested optional modules; null when it has none.</param>
/// <param name="ModulesArgumentName">The argument that configures its nested modules.</param>
internal sealed record ModuleModel(
    string Name,
    int Index,
    EquatableArray<string> Path,
    string MethodName,
    bool Cache,
    EquatableArray<ParameterModel> Parameters,
    ScopeModel Scope,
    string? ModulesTypeName,
    string ModulesArgumentName);

/// <summary>A parameter slot and the C# argument that fills it.</summary>
/// <param name="Name">The PML name.</param>
/// <param name="ArgumentName">The C# argument, e.g. <c>duration</c>.</param>
/// <param name="Length">The slot's length in tokens.</param>
/// <param name="Scaffold">The scaffold text, or null.</param>
internal sealed record ParameterModel(string Name, string ArgumentName, int Length, string? Scaffold);

/// <summary>A union and the chooser types that make "exactly one member" a compile-time rule.</summary>
/// <param name="ChooserTypeName">The type whose methods are the members, nested in the choice type: <c>TravelPlanChoice.Options</c>.</param>
/// <param name="ChoiceTypeName">The opaque result of a choice, e.g. <c>TravelPlanChoice</c>.</param>
/// <param name="ArgumentName">The lambda argument that makes the choice.</param>
/// <param name="ScaffoldMember">The default member's PML name.</param>
/// <param name="Members">The member modules.</param>
/// <param name="MethodName">For a union directly under the schema: the schema class's method that makes the choice.</param>
internal sealed record UnionModel(
    string ChooserTypeName,
    string ChoiceTypeName,
    string ArgumentName,
    string? ScaffoldMember,
    EquatableArray<ModuleModel> Members,
    string? MethodName = null);
