using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Loading;
using PromptCache.Runtime.Tests.Support;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>Sharded and half-precision HF folders load and decode exactly.</summary>
public sealed class SafetensorsFolderTests
{
    [Theory]
    [InlineData("qwen3", "BF16", 3)]
    [InlineData("llama", "F16", 2)]
    [InlineData("qwen2", "F32", 4)]
    public unsafe void Sharded_half_precision_folder_equals_f32_of_the_rounded_values(string name, string dtype, int shards)
    {
        string source = Fixtures.Folder(name);
        var tensors = new List<SafetensorsWriter.Tensor>();
        using (var st = SafetensorsSource.OpenFolder(source))
        {
            foreach (string tensorName in TensorNamesOf(source))
            {
                Assert.True(st.TryGet(tensorName, out var t));
                tensors.Add(new(tensorName, t.Shape, new ReadOnlySpan<float>(t.Data, checked((int)t.ElementCount)).ToArray()));
            }
        }
        var type = dtype switch { "F16" => GgmlType.F16, "BF16" => GgmlType.BF16, _ => GgmlType.F32 };
        string config = File.ReadAllText(Path.Combine(source, "config.json"));
        string root = Path.Combine(Path.GetTempPath(), "promptcache-tests", $"{name}-{dtype}-{Guid.NewGuid():N}");
        SafetensorsWriter.WriteFolder(Path.Combine(root, "half"), config, tensors, dtype, shards);
        SafetensorsWriter.WriteFolder(Path.Combine(root, "rounded"), config,
            tensors.Select(t => t with { Data = GgufWriter.RoundTrip(t.Data, type) }).ToList(), "F32", 1);
        try
        {
            var reference = Fixtures.LoadReference(name);
            using var half = LlamaModel.Load(Path.Combine(root, "half"));
            using var rounded = LlamaModel.Load(Path.Combine(root, "rounded"));
            Assert.Equal(dtype, half.Weights.Layers[^1].Down.Type.ToString());
            var a = half.Forward(reference.Plain.Ids, reference.Plain.Positions, [], null, LogitsMode.All);
            var b = rounded.Forward(reference.Plain.Ids, reference.Plain.Positions, [], null, LogitsMode.All);
            float worst = 0;
            for (int i = 0; i < a.Logits.Length; i++) worst = MathF.Max(worst, MathF.Abs(a.Logits[i] - b.Logits[i]));
            Assert.True(worst <= 1e-4f, $"{name} {dtype} in {shards} shards differs from its f32 rounding by {worst:G4}");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static IEnumerable<string> TensorNamesOf(string folder)
    {
        byte[] file = File.ReadAllBytes(Path.Combine(folder, "model.safetensors"));
        long length = BitConverter.ToInt64(file, 0);
        var header = System.Text.Json.Nodes.JsonNode.Parse(file.AsSpan(8, (int)length))!.AsObject();
        return header.Select(kv => kv.Key).Where(k => k != "__metadata__").ToList();
    }
}
