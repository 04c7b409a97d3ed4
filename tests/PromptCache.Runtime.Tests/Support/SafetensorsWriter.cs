using System.Text;
using System.Text.Json.Nodes;

namespace PromptCache.Runtime.Tests.Support;

/// <summary>Writes HF model folders for tests: safetensors in F32/F16/BF16, optionally sharded with model.safetensors.index.json.</summary>
internal static class SafetensorsWriter
{
    public sealed record Tensor(string Name, long[] Shape, float[] Data);

    /// <summary>Writes the tensors as <paramref name="dtype"/> ("F32", "F16", "BF16") into <paramref name="shards"/> files.</summary>
    public static void WriteFolder(string folder, string configJson, IReadOnlyList<Tensor> tensors, string dtype, int shards)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), configJson);
        var weightMap = new JsonObject();
        int perShard = (tensors.Count + shards - 1) / shards;
        for (int s = 0; s < shards; s++)
        {
            string file = shards == 1 ? "model.safetensors" : $"model-{s + 1:D5}-of-{shards:D5}.safetensors";
            var part = tensors.Skip(s * perShard).Take(perShard).ToList();
            Write(Path.Combine(folder, file), part, dtype);
            foreach (var t in part) weightMap[t.Name] = file;
        }
        if (shards > 1)
            File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"),
                new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = weightMap }.ToJsonString());
    }

    private static void Write(string path, IReadOnlyList<Tensor> tensors, string dtype)
    {
        int size = dtype == "F32" ? 4 : 2;
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        foreach (var t in tensors)
        {
            long bytes = t.Data.LongLength * size;
            header[t.Name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var w = new BinaryWriter(File.Create(path));
        w.Write((long)json.Length);
        w.Write(json);
        foreach (var t in tensors)
            foreach (float f in t.Data)
            {
                if (dtype == "F32") w.Write(f);
                else if (dtype == "F16") w.Write((Half)f);
                else w.Write((ushort)(BitConverter.SingleToUInt32Bits((float)GgufWriter.RoundTrip([f], GgmlType.BF16)[0]) >> 16));
            }
    }
}
