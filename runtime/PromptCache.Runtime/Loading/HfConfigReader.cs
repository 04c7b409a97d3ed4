using System.Text.Json;
using PromptCache.Runtime.Models;

namespace PromptCache.Runtime.Loading;

/// <summary>
/// Reads a Hugging Face <c>config.json</c> in either layout: transformers 4 (<c>rope_theta</c>,
/// <c>rope_scaling</c>, <c>torch_dtype</c>) or transformers 5 (<c>rope_parameters</c>, <c>dtype</c>).
/// </summary>
internal static class HfConfigReader
{
    private static readonly Dictionary<string, string> ModelTypes = new(StringComparer.Ordinal)
    {
        ["llama"] = "llama",
        ["mistral"] = "mistral",
        ["qwen2"] = "qwen2",
        ["qwen3"] = "qwen3",
    };

    public static ModelConfig Read(string configPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(configPath));
        var root = doc.RootElement;
        string where = $"'{configPath}'";
        string modelType = GetString(root, "model_type") ?? "";
        if (!ModelTypes.TryGetValue(modelType, out string? arch))
        {
            string archs = root.TryGetProperty("architectures", out var a) ? a.ToString() : "(none)";
            throw new NotSupportedException($"{where}: model_type '{modelType}' (architectures {archs}) is not supported; supported: llama, mistral, qwen2, qwen3 (Llama family).");
        }
        int hidden = GetInt(root, "hidden_size", where);
        int heads = GetInt(root, "num_attention_heads", where);
        int kvHeads = GetOptionalInt(root, "num_key_value_heads") ?? heads;
        int headDim = GetOptionalInt(root, "head_dim") ?? hidden / heads;
        bool tied = GetOptionalBool(root, "tie_word_embeddings") ?? false;
        bool bias = arch == "qwen2" || (GetOptionalBool(root, "attention_bias") ?? false);
        if (GetOptionalBool(root, "mlp_bias") == true)
            throw new NotSupportedException($"{where}: mlp_bias=true is not supported.");
        var config = new ModelConfig(
            Architecture: arch,
            HiddenSize: hidden,
            LayerCount: GetInt(root, "num_hidden_layers", where),
            HeadCount: heads,
            KvHeadCount: kvHeads,
            HeadDim: headDim,
            FfnSize: GetInt(root, "intermediate_size", where),
            VocabSize: GetInt(root, "vocab_size", where),
            RmsNormEps: (float)(GetOptionalDouble(root, "rms_norm_eps") ?? 1e-6),
            Rope: ReadRope(root, where),
            RopeStyle: RopeStyle.Halves,
            AttentionBias: bias,
            QkNorm: arch == "qwen3",
            TiedEmbeddings: tied,
            ContextLength: GetOptionalInt(root, "max_position_embeddings") ?? 0);
        config.Validate(where);
        return config;
    }

    private static RopeSettings ReadRope(JsonElement root, string where)
    {
        // transformers 5: everything under rope_parameters; transformers 4: rope_theta + rope_scaling.
        JsonElement? parameters = root.TryGetProperty("rope_parameters", out var rp) && rp.ValueKind == JsonValueKind.Object ? rp : null;
        // Some transformers 5 configs key rope_parameters by layer type ({"full_attention": {...}, ...});
        // reading them as flat would silently fall back to theta 10000.
        if (parameters is { } nested && nested.EnumerateObject().Any(p => p.Value.ValueKind == JsonValueKind.Object))
            throw new NotSupportedException($"{where}: per-layer-type rope_parameters ({string.Join(", ", nested.EnumerateObject().Select(p => p.Name))}) are not supported.");
        JsonElement? scaling = root.TryGetProperty("rope_scaling", out var rs) && rs.ValueKind == JsonValueKind.Object ? rs : parameters;
        double theta = (parameters is { } p ? GetOptionalDouble(p, "rope_theta") : null)
                       ?? GetOptionalDouble(root, "rope_theta") ?? 10000.0;
        if (scaling is not { } s) return new RopeSettings(theta);
        string type = GetString(s, "rope_type") ?? GetString(s, "type") ?? "default";
        return type switch
        {
            "default" => new RopeSettings(theta),
            "linear" => new RopeSettings(theta, RopeScalingType.Linear, Factor: GetOptionalDouble(s, "factor") ?? 1),
            "llama3" => new RopeSettings(theta, RopeScalingType.Llama3,
                Factor: GetOptionalDouble(s, "factor") ?? 8,
                LowFreqFactor: GetOptionalDouble(s, "low_freq_factor") ?? 1,
                HighFreqFactor: GetOptionalDouble(s, "high_freq_factor") ?? 4,
                OriginalMaxPositions: GetOptionalDouble(s, "original_max_position_embeddings") ?? 8192),
            _ => throw new NotSupportedException($"{where}: rope type '{type}' is not supported; supported: default, linear, llama3."),
        };
    }

    private static string? GetString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int GetInt(JsonElement e, string name, string where) =>
        GetOptionalInt(e, name) ?? throw new InvalidDataException($"{where}: required integer '{name}' is missing.");

    private static int? GetOptionalInt(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    private static double? GetOptionalDouble(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static bool? GetOptionalBool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && (v.ValueKind == JsonValueKind.True || v.ValueKind == JsonValueKind.False) ? v.GetBoolean() : null;
}
