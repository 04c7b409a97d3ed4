using System.Text.Json;

namespace PromptCache.Cli.Commands.Inference;

/// <summary>One run of tokens with their explicit position IDs.</summary>
internal sealed record TokenRun(int[] Ids, int[] Positions);

/// <summary>
/// The request of <c>promptcache logits</c>:
/// <c>{"segments":[{"ids":[..],"positions":[..]},...], "query":{"ids":[..],"positions":[..]}}</c>.
/// </summary>
internal sealed record LogitsRequest(IReadOnlyList<TokenRun> Segments, TokenRun Query)
{
    public static LogitsRequest Parse(string json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{source}: not valid JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException($"{source}: the request must be a JSON object.");
            var segments = new List<TokenRun>();
            if (root.TryGetProperty("segments", out var segs))
            {
                if (segs.ValueKind != JsonValueKind.Array) throw new FormatException($"{source}: \"segments\" must be an array.");
                int i = 0;
                foreach (var s in segs.EnumerateArray()) segments.Add(Run(s, $"{source}: segments[{i++}]"));
            }
            if (!root.TryGetProperty("query", out var query)) throw new FormatException($"{source}: \"query\" is missing.");
            return new LogitsRequest(segments, Run(query, $"{source}: query"));
        }
    }

    private static TokenRun Run(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new FormatException($"{where} must be an object with \"ids\" and \"positions\".");
        int[] ids = Ints(e, "ids", where);
        int[] positions = Ints(e, "positions", where);
        if (ids.Length == 0) throw new FormatException($"{where}: \"ids\" is empty.");
        if (ids.Length != positions.Length)
            throw new FormatException($"{where}: {ids.Length} ids but {positions.Length} positions.");
        return new TokenRun(ids, positions);
    }

    private static int[] Ints(JsonElement e, string name, string where)
    {
        if (!e.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new FormatException($"{where}: \"{name}\" must be an array of integers.");
        var result = new int[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out result[i]))
                throw new FormatException($"{where}: \"{name}\"[{i}] is not an integer: {item.GetRawText()}.");
            i++;
        }
        return result;
    }
}
