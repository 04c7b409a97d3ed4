using System.Globalization;
using PromptCache.Pml;
using PromptCache.Pml.Layout;
using PromptCache.Pml.Syntax;
using PromptCache.Tokenizers;

namespace PromptCache.Engine.Binding;

/// <summary>
/// Binds a schema to a tokenizer: offsets come from <see cref="SchemaLayout.Bind"/> (through the
/// <see cref="TokenizerCounter"/> and <see cref="RoleMarkerTokens"/> adapters, so they agree with
/// the generator's by construction), then every element is encoded and checked against its bound
/// length.
/// </summary>
internal static class SchemaBinder
{
    public static BoundSchema Bind(PmlSchema schema, Tokenizer tokenizer, RoleMarkerTokens? markers, int[] preambleIds, int contextLength)
    {
        var layout = SchemaLayout.Build(schema).Bind(new TokenizerCounter(tokenizer), markers, contextLength: null);
        if (layout.HasErrors)
        {
            var errors = layout.Diagnostics.Where(d => d.IsError).Select(d => d.Id + ": " + d.Message);
            throw new PromptCacheException($"Schema '{schema.Name}' cannot be bound to this model's tokenizer: " + string.Join("; ", errors));
        }

        int preamble = preambleIds.Length;
        long total = (long)layout.TotalLength + preamble;
        if (contextLength > 0 && total >= contextLength)
        {
            throw new PromptCacheException(string.Create(CultureInfo.InvariantCulture,
                $"Schema '{schema.Name}' is {layout.TotalLength} tokens long (+{preamble} preamble), which leaves no room in the model's context window of {contextLength} tokens for a suffix and an answer."));
        }

        int fill = tokenizer.UnkId ?? tokenizer.PadId ?? tokenizer.EosId ?? 0;
        var elements = layout.Elements;
        var ids = new int[elements.Count][];
        var ownerIds = new Dictionary<string, (List<int> Ids, List<int> Positions)>(StringComparer.Ordinal)
        {
            [""] = ([.. preambleIds], [.. Enumerable.Range(0, preamble)]),
        };
        var moduleParameters = new Dictionary<string, List<BoundParameter>>(StringComparer.Ordinal);
        for (int i = 0; i < elements.Count; i++)
        {
            var bound = elements[i];
            var e = bound.Element;
            int[] encoded = e.Kind switch
            {
                LayoutElementKind.Text => [.. tokenizer.EncodeToIds(e.Text ?? "", addSpecialTokens: false)],
                LayoutElementKind.RoleBegin => markers is null || e.Role is null ? [] : markers.Begin(e.Role.Value),
                LayoutElementKind.RoleEnd => markers is null || e.Role is null ? [] : markers.End(e.Role.Value),
                LayoutElementKind.Parameter => ScaffoldFill(tokenizer, e, fill),
                _ => [],
            };
            int expected = e.Kind is LayoutElementKind.ModuleStart or LayoutElementKind.UnionStart ? 0 : bound.Length;
            if (encoded.Length != expected)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"Schema '{schema.Name}', module '{e.ModulePathString}': {e.Kind} element encodes to {encoded.Length} tokens but the layout reserved {expected}; the tokenizer is not deterministic."));
            }
            ids[i] = encoded;

            string owner = e.ModulePathString;
            if (e.Kind is LayoutElementKind.Text or LayoutElementKind.RoleBegin or LayoutElementKind.RoleEnd && encoded.Length > 0)
            {
                if (!ownerIds.TryGetValue(owner, out var tokens)) ownerIds[owner] = tokens = ([], []);
                tokens.Ids.AddRange(encoded);
                tokens.Positions.AddRange(Enumerable.Range(bound.Offset + preamble, encoded.Length));
            }
            else if (e.Kind == LayoutElementKind.Parameter)
            {
                if (!moduleParameters.TryGetValue(owner, out var list)) moduleParameters[owner] = list = [];
                list.Add(new BoundParameter(e.Name ?? "", owner, bound.Offset + preamble, bound.Length, encoded));
            }
        }

        var modules = new Dictionary<string, BoundModule>(StringComparer.Ordinal);
        foreach (var bound in elements.Where(b => b.Element.Kind == LayoutElementKind.ModuleStart))
        {
            string path = bound.Element.ModulePathString;
            modules[path] = new BoundModule(path, bound.Element.IsCacheable, bound.Offset + preamble, bound.Length,
                moduleParameters.TryGetValue(path, out var p) ? p : []);
        }

        var owners = ownerIds.ToDictionary(kv => kv.Key, kv => new OwnerTokens([.. kv.Value.Ids], [.. kv.Value.Positions]), StringComparer.Ordinal);
        return new BoundSchema(schema, layout, preambleIds, ids, owners, modules, markers);
    }

    // The slot during precompute: the scaffold's tokens, padded with the unk token (or unk alone).
    private static int[] ScaffoldFill(Tokenizer tokenizer, LayoutElement parameter, int fill)
    {
        var slot = new int[parameter.ParameterLength];
        Array.Fill(slot, fill);
        if (parameter.Scaffold is { Length: > 0 } scaffold)
        {
            var tokens = tokenizer.EncodeToIds(scaffold, addSpecialTokens: false);
            for (int i = 0; i < Math.Min(tokens.Count, slot.Length); i++) slot[i] = tokens[i];
        }
        return slot;
    }
}
