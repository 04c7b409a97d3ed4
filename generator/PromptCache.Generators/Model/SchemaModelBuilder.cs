using System.Collections.Generic;
using System.Linq;
using PromptCache.Generators.Inputs;
using PromptCache.Generators.Naming;
using PromptCache.Pml;
using PromptCache.Pml.Layout;
using PromptCache.Pml.Syntax;

namespace PromptCache.Generators.Model;

/// <summary>
/// Turns a parsed schema into the emitter's <see cref="SchemaModel"/>: picks every C# name and reports
/// the PML names that would map onto the same C# name (PCG0026), so the emitted code always compiles.
/// </summary>
internal sealed class SchemaModelBuilder
{
    /// <summary>Members the generated schema class declares itself (see <c>SchemaClassEmitter</c>).</summary>
    public static readonly string[] SchemaClassMembers =
    {
        "Create", "Build", "User", "SchemaName", "PmlSource", "ContentHash", "SourceFiles", "Layout", "CreateLayout",
        "FileName", "ModuleCount", "Selections", "Tokens",
    };

    /// <summary>Members every generated chooser and module builder declares besides the module methods.</summary>
    private static readonly string[] NestedTypeMembers = NameScope.ObjectMembers.Concat(new[] { "Selections", "Empty" }).ToArray();

    private const string GeneratedApiOwner = "a member of the generated API";

    private readonly List<PmlDiagnostic> _diagnostics;

    // Nested types and the root's methods share one declaration space: the schema class's members.
    private readonly NameScope _classMembers;

    // Selection slots follow document order, which the emitted request must keep (parents before children).
    private readonly Dictionary<PmlModule, int> _documentOrder;

    private SchemaModelBuilder(string typeName, List<PmlDiagnostic> diagnostics, Dictionary<PmlModule, int> documentOrder)
    {
        _diagnostics = diagnostics;
        _documentOrder = documentOrder;
        _classMembers = new NameScope(SchemaClassMembers.Concat(NameScope.ObjectMembers), GeneratedApiOwner);
        _classMembers.TryClaim(typeName, "the generated class '" + typeName + "' itself", out _);
    }

    /// <summary>Builds the model; collisions are added to <paramref name="diagnostics"/> (the model is still returned).</summary>
    public static SchemaModel Build(
        PmlSchema schema,
        SchemaFileInput input,
        string typeName,
        string normalizedSource,
        EquatableArray<SourceFileText> sourceFiles,
        SchemaLayout layout,
        List<PmlDiagnostic> diagnostics)
    {
        var documentOrder = new Dictionary<PmlModule, int>(ReferenceComparer.Instance);
        NumberModules(schema.Children, documentOrder);
        var builder = new SchemaModelBuilder(typeName, diagnostics, documentOrder);
        var root = builder.BuildRoot(schema);
        return new SchemaModel(
            input.Path,
            input.Namespace,
            typeName,
            schema.Name,
            normalizedSource,
            schema.ContentHash,
            sourceFiles,
            root,
            documentOrder.Count,
            layout,
            schema.NameLocation);
    }

    private static void NumberModules(EquatableArray<PmlNode> children, Dictionary<PmlModule, int> order)
    {
        foreach (var child in children)
        {
            switch (child)
            {
                case PmlModule module:
                    order.Add(module, order.Count);
                    NumberModules(module.Children, order);
                    break;
                case PmlUnion union:
                    foreach (var member in union.Members)
                    {
                        order.Add(member, order.Count);
                        NumberModules(member.Children, order);
                    }

                    break;
                case PmlRole role:
                    NumberModules(role.Children, order);
                    break;
            }
        }
    }

    private ScopeModel BuildRoot(PmlSchema schema)
    {
        var content = ScopeContent.Of(schema.Children);

        // Claim every PML-derived method name before inventing any type name, so that a reported
        // collision is always between two things the user wrote, never with a name we made up.
        var methodNames = content.Modules.Select(m => ClaimMethod(_classMembers, m)).ToList();
        var selectors = content.Unions.Select(_ => _classMembers.ClaimFree("Choose", GeneratedApiOwner)).ToList();
        var modules = content.Modules.Select((m, i) => BuildModule(m, EquatableArray<string>.Empty, methodNames[i])).ToEquatableArray();
        var unions = content.Unions
            .Select((u, i) => BuildUnion(u, EquatableArray<string>.Empty, "Root", "choice") with { MethodName = selectors[i] })
            .ToEquatableArray();
        return new ScopeModel(modules, unions);
    }

    private ModuleModel BuildModule(PmlModule module, EquatableArray<string> parentPath, string methodName)
    {
        var path = parentPath.Concat(new[] { module.Name }).ToEquatableArray();
        var content = ScopeContent.Of(module.Children);

        var arguments = new NameScope(System.Array.Empty<string>(), GeneratedApiOwner);
        var parameters = content.Parameters.Select(p => BuildParameter(arguments, p)).ToEquatableArray();

        var unions = content.Unions
            .Select(u => BuildUnion(u, path, methodName, arguments.ClaimFree("choice", GeneratedApiOwner)))
            .ToEquatableArray();

        string? modulesTypeName = null;
        var childModules = EquatableArray<ModuleModel>.Empty;
        if (content.Modules.Count > 0)
        {
            var childScope = new NameScope(NestedTypeMembers, GeneratedApiOwner);
            var childMethods = content.Modules.Select(m => ClaimMethod(childScope, m)).ToList();
            modulesTypeName = ClaimTypeName(methodName + "Modules", childScope);
            childModules = content.Modules.Select((m, i) => BuildModule(m, path, childMethods[i])).ToEquatableArray();
        }

        var modulesArgument = arguments.ClaimFree("modules", GeneratedApiOwner);
        return new ModuleModel(
            module.Name,
            _documentOrder[module],
            path,
            methodName,
            module.Cache,
            parameters,
            new ScopeModel(childModules, unions),
            modulesTypeName,
            modulesArgument);
    }

    private UnionModel BuildUnion(PmlUnion union, EquatableArray<string> ownerPath, string ownerName, string argumentName)
    {
        var memberScope = new NameScope(NestedTypeMembers, GeneratedApiOwner);
        var memberMethods = union.Members.Select(m => ClaimMethod(memberScope, m)).ToList();

        // The choice type nests its chooser ("TravelPlanChoice.Options"), so only the chooser's methods can call
        // the choice's private constructor: no code, not even in the same assembly, can make a choice by hand.
        var options = memberScope.ClaimFree("Options", GeneratedApiOwner);
        var choice = ClaimTypeName(ownerName + "Choice", memberScope);
        var members = union.Members.Select((m, i) => BuildModule(m, ownerPath, memberMethods[i])).ToEquatableArray();
        return new UnionModel(choice + "." + options, choice, argumentName, union.ScaffoldMember, members);
    }

    private ParameterModel BuildParameter(NameScope arguments, PmlParameter parameter)
    {
        var argument = IdentifierNames.ToCamelCase(parameter.Name);
        var owner = "parameter '" + parameter.Name + "'";
        if (!arguments.TryClaim(argument, owner, out var existing))
        {
            ReportCollision(argument, owner, existing, parameter.Location);
        }

        return new ParameterModel(parameter.Name, argument, parameter.Length, parameter.Scaffold);
    }

    private string ClaimMethod(NameScope scope, PmlModule module)
    {
        var name = IdentifierNames.ToPascalCase(module.Name);
        var owner = "module '" + module.Name + "'";
        if (!scope.TryClaim(name, owner, out var existing))
        {
            ReportCollision(name, owner, existing, module.NameLocation.IsNone ? module.Location : module.NameLocation);
        }

        return name;
    }

    // A nested type may not share its name with any of its own members (CS0542), nor with any member of
    // the schema class it is nested in.
    private string ClaimTypeName(string candidate, NameScope ownMembers)
    {
        var name = candidate;
        for (var i = 2; ownMembers.Contains(name) || _classMembers.Contains(name); i++)
        {
            name = candidate + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        _classMembers.TryClaim(name, GeneratedApiOwner, out _);
        return name;
    }

    private void ReportCollision(string name, string owner, string existingOwner, PmlLocation location) =>
        _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.TypeNameCollision, location, name, owner, existingOwner));

    // PML nodes compare by value; two equal-looking modules are still two slots.
    private sealed class ReferenceComparer : IEqualityComparer<PmlModule>
    {
        public static readonly ReferenceComparer Instance = new();

        public bool Equals(PmlModule? x, PmlModule? y) => ReferenceEquals(x, y);

        public int GetHashCode(PmlModule obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
    }

    /// <summary>The modules, unions and parameters directly inside a scope; role tags are transparent.</summary>
    private sealed class ScopeContent
    {
        public List<PmlModule> Modules { get; } = new();

        public List<PmlUnion> Unions { get; } = new();

        public List<PmlParameter> Parameters { get; } = new();

        public static ScopeContent Of(EquatableArray<PmlNode> children)
        {
            var content = new ScopeContent();
            content.Collect(children);
            return content;
        }

        private void Collect(EquatableArray<PmlNode> children)
        {
            foreach (var child in children)
            {
                switch (child)
                {
                    case PmlModule module: Modules.Add(module); break;
                    case PmlUnion union: Unions.Add(union); break;
                    case PmlParameter parameter: Parameters.Add(parameter); break;
                    case PmlRole role: Collect(role.Children); break;
                }
            }
        }
    }
}
