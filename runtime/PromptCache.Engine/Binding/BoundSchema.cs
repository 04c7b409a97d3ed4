using PromptCache.Pml.Layout;
using PromptCache.Pml.Syntax;

namespace PromptCache.Engine.Binding;

/// <summary>
/// A schema bound to one model and tokenizer: every element's token ids at fixed positions. Engine
/// positions are the layout's offsets shifted by <see cref="PreambleLength"/> (the BOS or the chat
/// format's begin text, which sits at position 0 before the schema).
/// </summary>
public sealed class BoundSchema
{
    internal BoundSchema(PmlSchema schema, BoundLayout layout, int[] preambleIds, int[][] elementIds,
        IReadOnlyDictionary<string, OwnerTokens> owners, IReadOnlyDictionary<string, BoundModule> modules, RoleMarkerTokens? markers)
    {
        Schema = schema;
        Layout = layout;
        PreambleIds = preambleIds;
        ElementIds = elementIds;
        Owners = owners;
        Modules = modules;
        Markers = markers;
    }

    /// <summary>The parsed schema.</summary>
    public PmlSchema Schema { get; }

    /// <summary>The schema's name.</summary>
    public string Name => Schema.Name;

    /// <summary>Offsets exactly as <see cref="SchemaLayout.Bind"/> computes them (what the generator computes too).</summary>
    public BoundLayout Layout { get; }

    /// <summary>Tokens before the schema (BOS or the chat format's begin text); may be empty.</summary>
    public int[] PreambleIds { get; }

    /// <summary>Positions taken by the preamble: engine position = layout offset + this.</summary>
    public int PreambleLength => PreambleIds.Length;

    /// <summary>Token ids of each layout element (parallel to <see cref="BoundLayout.Elements"/>): text and role
    /// markers as encoded; a parameter's slot filled with its scaffold padded with unk.</summary>
    public IReadOnlyList<int[]> ElementIds { get; }

    /// <summary>Text and role-marker tokens per owner: "" for the schema root (with the preamble), else a module path.</summary>
    public IReadOnlyDictionary<string, OwnerTokens> Owners { get; }

    /// <summary>Every module by path.</summary>
    public IReadOnlyDictionary<string, BoundModule> Modules { get; }

    /// <summary>The role markers, or null when the tokenizer has no chat format (role tags then add no tokens).</summary>
    public RoleMarkerTokens? Markers { get; }

    /// <summary>The first position after the schema: a request's suffix starts here.</summary>
    public int TotalLength => Layout.TotalLength + PreambleLength;

    /// <summary>Engine position of a layout offset.</summary>
    public int Position(int layoutOffset) => layoutOffset + PreambleLength;
}

/// <summary>Tokens of one owner (the root or a module) in position order.</summary>
/// <param name="Ids">Token ids.</param>
/// <param name="Positions">Engine positions, increasing.</param>
public sealed record OwnerTokens(int[] Ids, int[] Positions);

/// <summary>One module of a bound schema.</summary>
/// <param name="Path">The module path ('/'-separated).</param>
/// <param name="IsCacheable">False for <c>cache="false"</c>: computed on every request.</param>
/// <param name="Offset">Engine position of the module's first token.</param>
/// <param name="Length">Positions the module spans (nested modules and unions included).</param>
/// <param name="Parameters">The module's own parameter slots.</param>
public sealed record BoundModule(string Path, bool IsCacheable, int Offset, int Length, IReadOnlyList<BoundParameter> Parameters);

/// <summary>One parameter slot.</summary>
/// <param name="Name">PML name.</param>
/// <param name="ModulePath">Its module.</param>
/// <param name="Offset">Engine position of the slot's first token.</param>
/// <param name="Length">Slot length in tokens.</param>
/// <param name="ScaffoldFill">The precompute filling: the scaffold's tokens padded with unk to <paramref name="Length"/>.</param>
public sealed record BoundParameter(string Name, string ModulePath, int Offset, int Length, int[] ScaffoldFill);
