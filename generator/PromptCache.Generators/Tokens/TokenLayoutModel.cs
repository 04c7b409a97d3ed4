using System.Collections.Generic;
using PromptCache.Generators.Model;
using PromptCache.Pml;
using PromptCache.Pml.Layout;
using static PromptCache.Generators.Naming.IdentifierNames;

namespace PromptCache.Generators.Tokens;

/// <summary>A named token offset or length, emitted as a <c>const int</c>.</summary>
/// <param name="Name">The constant's name, e.g. <c>TravelPlanOffset</c>.</param>
/// <param name="Value">Its value in tokens.</param>
/// <param name="Doc">What it measures.</param>
internal sealed record TokenConstant(string Name, int Value, string Doc);

/// <summary>
/// A schema's token-exact layout for the project's tokenizer: named constants for modules, union members,
/// unions and parameter slots, plus every element's offset and length in layout order (the runtime's check).
/// </summary>
/// <param name="TokenizerHash">The tokenizer file's content hash.</param>
/// <param name="ContextLength">The context length the schema was checked against, or null.</param>
/// <param name="TotalLength">The schema's length in tokens.</param>
/// <param name="Constants">The named constants.</param>
/// <param name="Offsets">Every layout element's offset, in layout order.</param>
/// <param name="Lengths">Every layout element's length, in layout order.</param>
internal sealed record TokenLayoutModel(
    string TokenizerHash,
    int? ContextLength,
    int TotalLength,
    EquatableArray<TokenConstant> Constants,
    EquatableArray<int> Offsets,
    EquatableArray<int> Lengths);

/// <summary>A schema model after binding to the project's tokenizer, with the binder's diagnostics.</summary>
/// <param name="Model">The model, with <see cref="SchemaModel.Tokens"/> set when a tokenizer was given.</param>
/// <param name="Diagnostics">PCG0024 and PCG0025 at their .pml locations.</param>
internal sealed record BoundSchema(SchemaModel Model, EquatableArray<PmlDiagnostic> Diagnostics);

/// <summary>Binds a schema's structural layout with <see cref="SchemaLayout.Bind"/>: the runtime's own algorithm.</summary>
internal static class TokenLayoutBinder
{
    /// <summary>The model unchanged when there is no usable tokenizer; otherwise the model with its token layout.</summary>
    public static BoundSchema Bind(SchemaModel model, BuildTokenizer? tokenizer)
    {
        if (tokenizer?.Tokenizer is null)
        {
            return new BoundSchema(model, EquatableArray<PmlDiagnostic>.Empty);
        }

        var bound = model.Layout.Bind(tokenizer, tokenizer.Markers, tokenizer.ContextLength);
        var offsets = new List<int>();
        var lengths = new List<int>();
        foreach (var element in bound.Elements)
        {
            offsets.Add(element.Offset);
            lengths.Add(element.Length);
        }

        var tokens = new TokenLayoutModel(
            tokenizer.Identity, tokenizer.ContextLength, bound.TotalLength, Constants(bound), offsets.ToEquatableArray(), lengths.ToEquatableArray());
        return new BoundSchema(model with { Tokens = tokens }, bound.Diagnostics);
    }

    private static EquatableArray<TokenConstant> Constants(BoundLayout bound)
    {
        var constants = new List<TokenConstant>();
        var used = new HashSet<string> { "TokenizerHash", "ContextLength", "TotalLength", "Layout" };
        var unions = 0;
        foreach (var element in bound.Elements)
        {
            var e = element.Element;
            string? stem;
            string what;
            switch (e.Kind)
            {
                case LayoutElementKind.ModuleStart:
                    stem = PathStem(e.ModulePath);
                    what = (e.IsUnionMember ? "union member '" : "module '") + e.ModulePathString + "'";
                    break;
                case LayoutElementKind.Parameter:
                    stem = PathStem(e.ModulePath) + ToPascalCase(e.Name ?? "parameter");
                    what = "parameter slot '" + e.Name + "' of module '" + e.ModulePathString + "'";
                    break;
                case LayoutElementKind.UnionStart:
                    unions++;
                    stem = "Union" + unions;
                    what = "union " + unions + " (members: " + string.Join(", ", e.UnionMembers) + ")";
                    break;
                default:
                    continue;
            }

            // Two PML names can PascalCase alike (a-b and a_b are already PCG0026 for methods, not for paths): number the later one.
            var unique = stem;
            for (var n = 2; used.Contains(unique + "Offset"); n++)
            {
                unique = stem + "_" + n;
            }

            used.Add(unique + "Offset");
            constants.Add(new TokenConstant(unique + "Offset", element.Offset, "First position of the " + what + "."));
            constants.Add(new TokenConstant(unique + "Length", element.Length, "Positions of the " + what + "."));
        }

        return constants.ToEquatableArray();
    }

    private static string PathStem(EquatableArray<string> path)
    {
        var stem = string.Empty;
        foreach (var segment in path)
        {
            stem += ToPascalCase(segment);
        }

        return stem.Length == 0 ? "Schema" : stem;
    }
}
