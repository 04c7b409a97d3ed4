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
}
