using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Models;
using PromptCache.Runtime.Tests.Support;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>The same weights loaded from safetensors and from a GGUF written like llama.cpp's converter give the same logits.</summary>
public sealed class GgufParityTests
{
    [Theory]
    [InlineData("llama", RopeStyle.Interleaved)]
    [InlineData("qwen2", RopeStyle.Halves)]
    [InlineData("qwen3", RopeStyle.Halves)]
    public void Gguf_and_safetensors_give_the_same_logits(string name, RopeStyle expectedStyle)
    {
        string folder = Fixtures.Folder(name);
        string gguf = Path.Combine(Path.GetTempPath(), $"promptcache-{name}-{Environment.ProcessId}.gguf");
        FixtureToGguf.Convert(folder, gguf);
        try
        {
            var reference = Fixtures.LoadReference(name);
            using var fromSafetensors = LlamaModel.Load(folder);
            using var fromGguf = LlamaModel.Load(gguf);
            Assert.Equal(expectedStyle, fromGguf.Config.RopeStyle);
            Assert.Equal(fromSafetensors.Config.TiedEmbeddings, fromGguf.Config.TiedEmbeddings);
            var a = fromSafetensors.Forward(reference.Plain.Ids, reference.Plain.Positions, [], null, LogitsMode.All);
            var b = fromGguf.Forward(reference.Plain.Ids, reference.Plain.Positions, [], null, LogitsMode.All);
            float worst = 0;
            for (int i = 0; i < a.Logits.Length; i++) worst = MathF.Max(worst, MathF.Abs(a.Logits[i] - b.Logits[i]));
            Assert.True(worst <= 1e-4f, $"{name}: GGUF vs safetensors max abs logit difference {worst:G4}.");
            LogitAssert.Close(reference.PlainLogits, b, 1e-3f, $"{name} GGUF vs HF");
        }
        finally
        {
            File.Delete(gguf);
        }
    }

    [Theory]
    [InlineData("llama", GgmlType.F16)]
    [InlineData("qwen2", GgmlType.BF16)]
    [InlineData("qwen3", GgmlType.Q8_0)]
    public void F16_BF16_and_Q8_0_weights_decode_to_exactly_the_values_they_store(string name, GgmlType type)
    {
        // Two GGUFs of the same weights: one stored as `type`, one as F32 holding the values `type`
        // rounds to. Identical logits mean the runtime decodes `type` exactly (in the GEMM and the embedding).
        string folder = Fixtures.Folder(name);
        string stored = Path.Combine(Path.GetTempPath(), $"promptcache-{name}-{type}-{Environment.ProcessId}.gguf");
        string rounded = Path.Combine(Path.GetTempPath(), $"promptcache-{name}-{type}-f32-{Environment.ProcessId}.gguf");
        FixtureToGguf.Convert(folder, stored, type);
        FixtureToGguf.Convert(folder, rounded, type, storeRoundedAsF32: true);
        try
        {
            var reference = Fixtures.LoadReference(name);
            using var a = LlamaModel.Load(stored);
            using var b = LlamaModel.Load(rounded);
            Assert.Equal(type.ToString(), a.Weights.Layers[0].Query.Type.ToString());
            Assert.True(a.Weights.TotalBytes < b.Weights.TotalBytes);
            var la = a.Forward(reference.Plain.Ids, reference.Plain.Positions, [], null, LogitsMode.All);
            var lb = b.Forward(reference.Plain.Ids, reference.Plain.Positions, [], null, LogitsMode.All);
            float worst = 0;
            for (int i = 0; i < la.Logits.Length; i++) worst = MathF.Max(worst, MathF.Abs(la.Logits[i] - lb.Logits[i]));
            Assert.True(worst <= 1e-4f, $"{name} {type}: differs from its f32 rounding by {worst:G4}");
            // And the quantisation itself stays near the f32 reference.
            float drift = LogitAssert.MaxAbsDifference(reference.PlainLogits, la);
            Assert.True(drift < 0.5f, $"{name} {type}: drifted {drift} from HF's f32 logits");
        }
        finally
        {
            File.Delete(stored);
            File.Delete(rounded);
        }
    }
}
