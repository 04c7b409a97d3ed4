using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace PromptCache.Engine.Synthetic;

/// <summary>
/// Writes a deterministic Hugging Face style checkpoint (config.json + model.safetensors) with
/// seeded random weights, so the engine can run a real Llama shape with no download. The text such a
/// model produces is meaningless; only its cost and its arithmetic are real.
/// </summary>
public static class SyntheticCheckpoint
{
    private const string MarkerFile = "synthetic.txt";

    // Part of the folder name: bump when the weights a (shape, seed) pair produces change.
    private const string FormatVersion = "v3";

    /// <summary>
    /// Returns the folder of the checkpoint for <paramref name="shape"/> and <paramref name="seed"/>
    /// under <paramref name="root"/> (default: the temp folder), writing it on first use. Reused
    /// afterwards, so a second start is instant.
    /// </summary>
    public static string Ensure(SyntheticShape shape, int seed = 1234, string? root = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        root ??= Path.Combine(Path.GetTempPath(), "promptcache-synthetic");
        string folder = Path.Combine(root, $"{shape.Name}-d{shape.HiddenSize}-l{shape.LayerCount}-h{shape.HeadCount}-kv{shape.KvHeadCount}-f{shape.FfnSize}-v{shape.VocabSize}-{shape.WeightType}-s{seed}-{FormatVersion}".ToLowerInvariant());
        if (File.Exists(Path.Combine(folder, MarkerFile))) return folder;

        // Write into a private temp folder and rename: concurrent first runs never see half a file.
        string temp = folder + ".tmp-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(temp);
        try
        {
            File.WriteAllText(Path.Combine(temp, "config.json"), Config(shape));
            WriteSafetensors(Path.Combine(temp, "model.safetensors"), shape, seed);
            File.WriteAllText(Path.Combine(temp, MarkerFile), $"Synthetic checkpoint: {shape}, seed {seed}. Random weights; its text is meaningless.\n");
            try
            {
                Directory.Move(temp, folder);
            }
            catch (IOException) when (File.Exists(Path.Combine(folder, MarkerFile)))
            {
                Directory.Delete(temp, recursive: true); // Another process finished first.
            }
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
        return folder;
    }

    private static string Config(SyntheticShape s) => string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "architectures": ["LlamaForCausalLM"],
          "model_type": "llama",
          "hidden_size": {{s.HiddenSize}},
          "num_hidden_layers": {{s.LayerCount}},
          "num_attention_heads": {{s.HeadCount}},
          "num_key_value_heads": {{s.KvHeadCount}},
          "intermediate_size": {{s.FfnSize}},
          "vocab_size": {{s.VocabSize}},
          "rms_norm_eps": 1e-5,
          "rope_theta": 10000.0,
          "tie_word_embeddings": true,
          "max_position_embeddings": {{s.ContextLength}},
          "bos_token_id": {{ByteTokenizer.Bos}},
          "eos_token_id": {{ByteTokenizer.Eos}},
          "torch_dtype": "{{(s.WeightType == SyntheticWeightType.F32 ? "float32" : "bfloat16")}}"
        }
        """);

    private static IEnumerable<(string Name, int Rows, int Cols, float Scale)> Tensors(SyntheticShape s)
    {
        int d = s.HiddenSize, kv = s.KvHeadCount * s.HeadDim;
        // Scales in the usual init range keep activations finite through many layers; norms are 1.
        yield return ("model.embed_tokens.weight", s.VocabSize, d, 0.08f);
        for (int l = 0; l < s.LayerCount; l++)
        {
            string p = $"model.layers.{l}.";
            yield return (p + "input_layernorm.weight", 1, d, 0f);
            yield return (p + "self_attn.q_proj.weight", d, d, 1f / MathF.Sqrt(d));
            yield return (p + "self_attn.k_proj.weight", kv, d, 1f / MathF.Sqrt(d));
            yield return (p + "self_attn.v_proj.weight", kv, d, 1f / MathF.Sqrt(d));
            yield return (p + "self_attn.o_proj.weight", d, d, 0.5f / MathF.Sqrt(d));
            yield return (p + "post_attention_layernorm.weight", 1, d, 0f);
            yield return (p + "mlp.gate_proj.weight", s.FfnSize, d, 1f / MathF.Sqrt(d));
            yield return (p + "mlp.up_proj.weight", s.FfnSize, d, 1f / MathF.Sqrt(d));
            yield return (p + "mlp.down_proj.weight", d, s.FfnSize, 0.5f / MathF.Sqrt(s.FfnSize));
        }
        yield return ("model.norm.weight", 1, d, 0f);
    }

    private static void WriteSafetensors(string path, SyntheticShape shape, int seed)
    {
        var tensors = Tensors(shape).ToList();
        string dtype = shape.WeightType == SyntheticWeightType.F32 ? "F32" : "BF16";
        var header = new StringBuilder("{");
        long offset = 0;
        foreach (var (name, rows, cols, _) in tensors)
        {
            long bytes = (long)rows * cols * shape.WeightBytes;
            string dims = rows == 1 ? $"[{cols}]" : $"[{rows},{cols}]";
            header.Append(CultureInfo.InvariantCulture, $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{dims},\"data_offsets\":[{offset},{offset + bytes}]}},");
            offset += bytes;
        }
        header.Length--;
        header.Append('}');
        while ((header.Length + 8) % 8 != 0) header.Append(' ');
        byte[] headerBytes = Encoding.UTF8.GetBytes(header.ToString());

        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBytes.Length);
        file.Write(length);
        file.Write(headerBytes);
        var random = new SplitMix(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + 1));
        foreach (var (name, rows, cols, scale) in tensors)
        {
            var values = new float[cols];
            var buffer = new byte[cols * shape.WeightBytes];
            for (int r = 0; r < rows; r++)
            {
                float rowScale = scale * RowScale(name, r);
                for (int c = 0; c < cols; c++) values[c] = scale == 0 ? 1f : rowScale * random.NextSymmetric();
                if (shape.WeightType == SyntheticWeightType.F32)
                {
                    for (int c = 0; c < cols; c++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(c * 4), values[c]);
                }
                else
                {
                    // bf16 = the top 16 bits of the f32 (truncation is fine for random weights).
                    for (int c = 0; c < cols; c++) BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(c * 2), (ushort)(BitConverter.SingleToUInt32Bits(values[c]) >> 16));
                }
                file.Write(buffer);
            }
        }
    }

    // The output head is tied to the embedding, so a row's norm sets how often its token wins. Rows of
    // printable ASCII are 4× larger than the others: the meaningless text is then at least readable characters.
    private static float RowScale(string tensor, int row) =>
        tensor != "model.embed_tokens.weight" || row is >= 32 and < 127 ? 1f : 0.25f;

    // A tiny, fast, seedable generator: the checkpoint is the same on every machine and .NET version.
    private struct SplitMix(ulong state)
    {
        private ulong _state = state;

        // Uniform in [-√3, √3): unit variance, so `scale` is the standard deviation.
        public float NextSymmetric()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return ((z >> 40) * (1f / (1 << 24)) * 2f - 1f) * 1.7320508f;
        }
    }
}
