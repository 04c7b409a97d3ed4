using PromptCache.Runtime.Models;
using PromptCache.Tokenizers.Gguf;

namespace PromptCache.Runtime.Loading;

/// <summary>Reads the hyperparameters of a GGUF file from llama.cpp's metadata keys (<c>{arch}.block_count</c>, ...).</summary>
internal static class GgufConfigReader
{
    public static ModelConfig Read(GgufFile gguf, GgufSource tensors)
    {
        string where = $"'{gguf.Path}'";
        string arch = gguf.Get<string>("general.architecture", "");
        // llama.cpp writes Mistral as "llama". Its converter permutes q/k rows only for the llama
        // family (rope type NORM); qwen2/qwen3 keep the HF layout (rope type NEOX).
        RopeStyle style = arch switch
        {
            "llama" or "mistral" => RopeStyle.Interleaved,
            "qwen2" or "qwen3" => RopeStyle.Halves,
            _ => throw new NotSupportedException($"{where}: general.architecture '{arch}' is not supported; supported: llama, mistral, qwen2, qwen3."),
        };
        int Int(string key) => checked((int)Convert.ToInt64(gguf.Metadata.TryGetValue($"{arch}.{key}", out object? v)
            ? v : throw new InvalidDataException($"{where}: required GGUF metadata key '{arch}.{key}' is missing.")));
        int? OptionalInt(string key) => gguf.Metadata.TryGetValue($"{arch}.{key}", out object? v) ? checked((int)Convert.ToInt64(v)) : null;
        double? OptionalDouble(string key) => gguf.Metadata.TryGetValue($"{arch}.{key}", out object? v) ? Convert.ToDouble(v) : null;

        int hidden = Int("embedding_length");
        int heads = Int("attention.head_count");
        int headDim = OptionalInt("attention.key_length") ?? hidden / heads;
        int? ropeDims = OptionalInt("rope.dimension_count");
        if (ropeDims is { } rd && rd != headDim)
            throw new NotSupportedException($"{where}: partial RoPE ({arch}.rope.dimension_count {rd} < head dim {headDim}) is not supported.");

        if (!tensors.TryGet("token_embd.weight", out var embedding))
            throw new InvalidDataException($"{where}: tensor 'token_embd.weight' is missing.");
        int vocab = OptionalInt("vocab_size") ?? checked((int)embedding.Shape[0]);

        var rope = ReadRope(gguf, arch, tensors, where);
        var config = new ModelConfig(
            Architecture: arch,
            HiddenSize: hidden,
            LayerCount: Int("block_count"),
            HeadCount: heads,
            KvHeadCount: OptionalInt("attention.head_count_kv") ?? heads,
            HeadDim: headDim,
            FfnSize: Int("feed_forward_length"),
            VocabSize: vocab,
            RmsNormEps: (float)(OptionalDouble("attention.layer_norm_rms_epsilon") ?? 1e-5),
            Rope: rope,
            RopeStyle: style,
            AttentionBias: tensors.TryGet("blk.0.attn_q.bias", out _),
            QkNorm: tensors.TryGet("blk.0.attn_q_norm.weight", out _),
            TiedEmbeddings: !tensors.TryGet("output.weight", out _),
            ContextLength: OptionalInt("context_length") ?? 0);
        config.Validate(where);
        return config;
    }

    private static unsafe RopeSettings ReadRope(GgufFile gguf, string arch, GgufSource tensors, string where)
    {
        double theta = gguf.Metadata.TryGetValue($"{arch}.rope.freq_base", out object? b) ? Convert.ToDouble(b) : 10000.0;
        float[]? factors = null;
        // llama.cpp's converter bakes llama3 scaling into a rope_freqs tensor of per-frequency divisors.
        if (tensors.TryGet("rope_freqs.weight", out var freqs))
        {
            if (freqs.Type != Backends.Cpu.WeightType.F32)
                throw new InvalidDataException($"{where}: tensor 'rope_freqs.weight' is {freqs.Type}, expected F32.");
            factors = new ReadOnlySpan<float>(freqs.Data, checked((int)freqs.ElementCount)).ToArray();
        }
        string scaling = gguf.Metadata.TryGetValue($"{arch}.rope.scaling.type", out object? st) ? (string)st : "none";
        return scaling switch
        {
            "none" => new RopeSettings(theta, FrequencyFactors: factors),
            "linear" => new RopeSettings(theta, RopeScalingType.Linear,
                Factor: gguf.Metadata.TryGetValue($"{arch}.rope.scaling.factor", out object? f) ? Convert.ToDouble(f) : 1,
                FrequencyFactors: factors),
            _ => throw new NotSupportedException($"{where}: {arch}.rope.scaling.type '{scaling}' is not supported; supported: none, linear (llama3 via rope_freqs.weight)."),
        };
    }
}
