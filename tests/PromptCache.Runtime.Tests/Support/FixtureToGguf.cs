using PromptCache.Runtime.Loading;
using PromptCache.Runtime.Models;

namespace PromptCache.Runtime.Tests.Support;

/// <summary>
/// Converts an HF fixture folder to GGUF the way llama.cpp's converter does: llama.cpp tensor
/// names and metadata keys, and for the llama architecture q/k rows permuted so RoPE pairs are
/// interleaved; llama3 RoPE scaling becomes a rope_freqs tensor of per-frequency divisors.
/// </summary>
internal static class FixtureToGguf
{
    /// <param name="folder">The HF fixture.</param>
    /// <param name="outputPath">The GGUF to write.</param>
    /// <param name="matrixType">How 2-D weights are stored (1-D stay F32, as llama.cpp does).</param>
    /// <param name="storeRoundedAsF32">Store 2-D weights as F32 but with the values <paramref name="matrixType"/> would read back as: the exact reference for that type's decoding.</param>
    public static unsafe string Convert(string folder, string outputPath, GgmlType matrixType = GgmlType.F32, bool storeRoundedAsF32 = false)
    {
        var config = HfConfigReader.Read(Path.Combine(folder, "config.json"));
        using var source = SafetensorsSource.OpenFolder(folder);
        string arch = config.Architecture;
        var w = new GgufWriter()
            .Add("general.architecture", arch)
            .Add($"{arch}.embedding_length", config.HiddenSize)
            .Add($"{arch}.block_count", config.LayerCount)
            .Add($"{arch}.feed_forward_length", config.FfnSize)
            .Add($"{arch}.attention.head_count", config.HeadCount)
            .Add($"{arch}.attention.head_count_kv", config.KvHeadCount)
            .Add($"{arch}.attention.key_length", config.HeadDim)
            .Add($"{arch}.attention.value_length", config.HeadDim)
            .Add($"{arch}.attention.layer_norm_rms_epsilon", config.RmsNormEps)
            .Add($"{arch}.rope.freq_base", (float)config.Rope.Theta)
            .Add($"{arch}.context_length", config.ContextLength);

        bool permute = arch is "llama" or "mistral";
        void Copy(string hfName, string ggufName, int permuteHeads = 0)
        {
            Assert.True(source.TryGet(hfName, out var t), $"fixture lacks {hfName}");
            var data = new ReadOnlySpan<float>(t.Data, checked((int)t.ElementCount)).ToArray();
            if (permute && permuteHeads > 0) data = PermuteRows(data, permuteHeads, config.HeadDim, (int)(t.ElementCount / t.Shape[0]));
            if (t.Shape.Length == 2 && storeRoundedAsF32) w.AddTensor(ggufName, t.Shape, GgufWriter.RoundTrip(data, matrixType));
            else w.AddTensor(ggufName, t.Shape, data, t.Shape.Length == 2 ? matrixType : GgmlType.F32);
        }

        Copy("model.embed_tokens.weight", "token_embd.weight");
        Copy("model.norm.weight", "output_norm.weight");
        if (source.TryGet("lm_head.weight", out _)) Copy("lm_head.weight", "output.weight");
        for (int i = 0; i < config.LayerCount; i++)
        {
            string hf = $"model.layers.{i}.", gg = $"blk.{i}.";
            Copy(hf + "input_layernorm.weight", gg + "attn_norm.weight");
            Copy(hf + "self_attn.q_proj.weight", gg + "attn_q.weight", config.HeadCount);
            Copy(hf + "self_attn.k_proj.weight", gg + "attn_k.weight", config.KvHeadCount);
            Copy(hf + "self_attn.v_proj.weight", gg + "attn_v.weight");
            Copy(hf + "self_attn.o_proj.weight", gg + "attn_output.weight");
            if (config.AttentionBias)
            {
                Copy(hf + "self_attn.q_proj.bias", gg + "attn_q.bias", config.HeadCount);
                Copy(hf + "self_attn.k_proj.bias", gg + "attn_k.bias", config.KvHeadCount);
                Copy(hf + "self_attn.v_proj.bias", gg + "attn_v.bias");
            }
            if (config.QkNorm)
            {
                Copy(hf + "self_attn.q_norm.weight", gg + "attn_q_norm.weight");
                Copy(hf + "self_attn.k_norm.weight", gg + "attn_k_norm.weight");
            }
            Copy(hf + "post_attention_layernorm.weight", gg + "ffn_norm.weight");
            Copy(hf + "mlp.gate_proj.weight", gg + "ffn_gate.weight");
            Copy(hf + "mlp.up_proj.weight", gg + "ffn_up.weight");
            Copy(hf + "mlp.down_proj.weight", gg + "ffn_down.weight");
        }
        if (config.Rope.Scaling == RopeScalingType.Llama3)
        {
            var plain = (config.Rope with { Scaling = RopeScalingType.None }).InverseFrequencies(config.HeadDim);
            var scaled = config.Rope.InverseFrequencies(config.HeadDim);
            w.AddTensor("rope_freqs.weight", [plain.Length], plain.Zip(scaled, (p, s) => p / s).ToArray());
        }
        w.Save(outputPath);
        return outputPath;
    }

    // llama.cpp's permute(): within each head, row (half·hd/2 + i) moves to (2i + half).
    private static float[] PermuteRows(float[] data, int heads, int headDim, int cols)
    {
        var result = new float[data.Length];
        int half = headDim / 2;
        for (int h = 0; h < heads; h++)
            for (int j = 0; j < 2; j++)
                for (int i = 0; i < half; i++)
                    Array.Copy(data, (long)(h * headDim + j * half + i) * cols, result, (long)(h * headDim + 2 * i + j) * cols, cols);
        return result;
    }
}
