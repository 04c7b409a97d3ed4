using System.Globalization;
using System.Runtime.InteropServices;
using PromptCache.Engine.Binding;
using PromptCache.Pml;
using PromptCache.Pml.Requests;
using PromptCache.Runtime.Inference;
using PromptCache.Tokenizers;

namespace PromptCache.Engine.Execution;

/// <summary>
/// Turns a validated request into a <see cref="RequestPlan"/>: the root's and the selected modules'
/// cached segments; each argument encoded at the first positions of its slot; the selected
/// <c>cache="false"</c> modules' tokens at their positions; the suffix from the schema's total
/// length on.
/// </summary>
/// <remarks>
/// A selected module's parameter with no argument keeps its precompute filling (scaffold padded with
/// unk), so its module sees exactly the context it was computed with. A module selected without its
/// parent implies the parent (as the validator accepts).
/// </remarks>
internal static class RequestPlanner
{
    public static RequestPlan Plan(BoundSchema schema, IReadOnlyDictionary<string, KvSegment> segments, PromptRequest request,
        Tokenizer tokenizer, bool truncateArguments)
    {
        var selected = new SortedSet<string>(StringComparer.Ordinal);
        var arguments = new Dictionary<string, ModuleSelection>(StringComparer.Ordinal);
        foreach (var selection in request.Modules)
        {
            arguments[selection.PathString] = selection;
            for (int n = 1; n <= selection.Path.Count; n++) selected.Add(string.Join("/", selection.Path.Take(n)));
        }

        var context = new List<KvSegment>();
        // The suffix first: with its length, the whole sequence's capacity is known (a valid plan has at most one
        // token per position), so collecting every cached token never regrows a buffer.
        var suffix = SuffixEncoder.Encode(request.Suffix, tokenizer, schema.Markers);
        var fresh = new PositionedTokens(suffix.Count);
        var all = new PositionedTokens(schema.TotalLength + suffix.Count);
        int hits = 0, uncached = 0;

        if (segments.TryGetValue("", out var root))
        {
            context.Add(root);
            hits++;
        }
        if (schema.Owners.TryGetValue("", out var rootTokens)) all.Add(rootTokens.Ids, rootTokens.Positions);

        foreach (string path in selected)
        {
            var module = schema.Modules[path];
            var own = schema.Owners.GetValueOrDefault(path);
            if (own is not null) all.Add(own.Ids, own.Positions);
            if (module.IsCacheable)
            {
                if (segments.TryGetValue(path, out var segment))
                {
                    context.Add(segment);
                    hits++;
                }
            }
            else
            {
                uncached++;
                if (own is not null) fresh.Add(own.Ids, own.Positions);
            }

            var selection = arguments.GetValueOrDefault(path);
            foreach (var parameter in module.Parameters)
            {
                int[] ids = ArgumentIds(schema, parameter, selection?.GetArgument(parameter.Name), tokenizer, truncateArguments);
                fresh.Add(ids, parameter.Offset);
                all.Add(ids, parameter.Offset);
            }
        }

        fresh.Add(CollectionsMarshal.AsSpan(suffix), schema.TotalLength);
        all.Add(CollectionsMarshal.AsSpan(suffix), schema.TotalLength);

        if (fresh.Count == 0)
        {
            throw new PromptCacheException($"The request for schema '{schema.Name}' has no new tokens to compute: every selected module is cached and there is no argument or trailing text. Add trailing text (for example a user message).");
        }

        // New tokens are causal among themselves in position order.
        var (newIds, newPositions) = fresh.InPositionOrder();
        var (allIds, allPositions) = all.InPositionOrder();
        return new RequestPlan
        {
            Context = context.OrderBy(s => s.Positions.Count > 0 ? s.Positions[0] : 0).ToList(),
            NewIds = newIds,
            NewPositions = newPositions,
            AllIds = allIds,
            AllPositions = allPositions,
            ModuleHits = hits,
            UncachedModules = uncached,
        };
    }

    private static int[] ArgumentIds(BoundSchema schema, BoundParameter parameter, string? value, Tokenizer tokenizer, bool truncate)
    {
        if (value is null) return parameter.ScaffoldFill;
        int[] ids = [.. tokenizer.EncodeToIds(value, addSpecialTokens: false)];
        if (ids.Length <= parameter.Length) return ids;
        if (truncate) return ids[..parameter.Length];
        throw new PromptCacheException(string.Create(CultureInfo.InvariantCulture,
            $"Schema '{schema.Name}': argument for parameter '{parameter.Name}' of module '{parameter.ModulePath}' is {ids.Length} tokens, longer than its slot of {parameter.Length} tokens. Shorten it, raise the parameter's length, or enable TruncateLongArguments."));
    }

    /// <summary>Errors of <paramref name="request"/> against <paramref name="schema"/>, as one message (null when valid).</summary>
    public static string? Validate(BoundSchema schema, PromptRequest request, Tokenizer tokenizer, bool truncateArguments)
    {
        var problems = new List<string>();
        if (request.SchemaHash.Length > 0 && request.SchemaHash != schema.Schema.ContentHash)
        {
            problems.Add($"the request was built for another revision of schema '{schema.Name}' (content hash {request.SchemaHash}; the engine bound {schema.Schema.ContentHash}). Rebuild, or warm the current schema");
        }
        foreach (var d in PromptRequestValidator.Validate(request, schema.Schema, new TokenizerCounter(tokenizer)))
        {
            if (!d.IsError) continue;
            if (truncateArguments && d.Id == "PCG0036") continue;
            problems.Add(d.Id + ": " + d.Message);
        }
        return problems.Count == 0 ? null : $"Invalid request for schema '{schema.Name}': " + string.Join("; ", problems);
    }
}
