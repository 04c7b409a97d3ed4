using System.Text.Json;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cli.Commands.Inference;

/// <summary>
/// Runs a <see cref="LogitsRequest"/>: each segment is encoded on its own (attending only within
/// itself, causally), then the query attends to all segments plus itself, causally.
/// </summary>
internal static class LogitsRunner
{
    public static ForwardResult Run(LlamaModel model, LogitsRequest request, CancellationToken ct)
    {
        var segments = new List<KvSegment>();
        try
        {
            foreach (var s in request.Segments)
                segments.Add(model.Prefill(s.Ids, s.Positions, cancellationToken: ct));
            return model.Forward(request.Query.Ids, request.Query.Positions, segments, null, LogitsMode.All, ct);
        }
        finally
        {
            foreach (var s in segments) s.Dispose();
        }
    }

    /// <summary>Writes <c>{"logits":[[...],...]}</c>, f32 values in shortest round-trip form.</summary>
    public static void Write(ForwardResult result, Stream output)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteStartArray("logits");
        for (int r = 0; r < result.Rows; r++)
        {
            writer.WriteStartArray();
            foreach (float value in result.Row(r)) writer.WriteNumberValue(value);
            writer.WriteEndArray();
            writer.Flush();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
