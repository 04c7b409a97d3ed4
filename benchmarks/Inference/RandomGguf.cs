using System.Text;

namespace PromptCache.Benchmarks.Inference;

/// <summary>
/// Writes a Llama-architecture GGUF v3 with random N(0, 0.02) weights (fixed seed; never zeros) and
/// RMSNorm weights of 1, streamed tensor by tensor. Both this runtime and llama.cpp load the same
/// file, so the comparison is on identical weights. Tensor types: F32, F16 or BF16 for matrices;
/// norms F32, as llama.cpp's converters store 1-D tensors.
/// </summary>
internal static class RandomGguf
{
    private const int Alignment = 32;

    /// <param name="shape">The model shape.</param>
    /// <param name="directory">Where to write (the file is reused if present).</param>
    /// <param name="tokenizerSource">A GGUF whose <c>tokenizer.*</c> metadata is copied in, so that
    /// llama.cpp (which refuses a model without a vocabulary) can load the file; its vocabulary size
    /// must equal the shape's. stories260K.gguf has 512 tokens, as the llama.cpp peer files do.</param>
    public static string EnsureWritten(ModelShape shape, string directory, string? tokenizerSource)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, $"{shape.Name}-v{shape.Vocab}-{shape.DType}.gguf");
        if (File.Exists(path)) return path;
        string partial = path + ".partial";
        Write(shape, partial, tokenizerSource);
        File.Move(partial, path, overwrite: true);
        return path;
    }

    private sealed record Tensor(string Name, long[] GgufDims, uint Type, bool Ones);

    private static void Write(ModelShape s, string path, string? tokenizerSource)
    {
        uint matrixType = s.DType switch { "f32" => 0u, "f16" => 1u, "bf16" => 30u, _ => throw new ArgumentException($"dtype {s.DType}: use f32, f16 or bf16") };
        var tensors = new List<Tensor>
        {
            new("token_embd.weight", [s.Dim, s.Vocab], matrixType, false),
            new("output_norm.weight", [s.Dim], 0, true),
            new("output.weight", [s.Dim, s.Vocab], matrixType, false),
        };
        for (int i = 0; i < s.Layers; i++)
        {
            string b = $"blk.{i}.";
            tensors.Add(new(b + "attn_norm.weight", [s.Dim], 0, true));
            tensors.Add(new(b + "attn_q.weight", [s.Dim, s.Dim], matrixType, false));
            tensors.Add(new(b + "attn_k.weight", [s.Dim, s.KvDim], matrixType, false));
            tensors.Add(new(b + "attn_v.weight", [s.Dim, s.KvDim], matrixType, false));
            tensors.Add(new(b + "attn_output.weight", [s.Dim, s.Dim], matrixType, false));
            tensors.Add(new(b + "ffn_norm.weight", [s.Dim], 0, true));
            tensors.Add(new(b + "ffn_gate.weight", [s.Dim, s.Ffn], matrixType, false));
            tensors.Add(new(b + "ffn_up.weight", [s.Dim, s.Ffn], matrixType, false));
            tensors.Add(new(b + "ffn_down.weight", [s.Ffn, s.Dim], matrixType, false));
        }
        var metadata = new List<(string, object)>
        {
            ("general.architecture", "llama"),
            ("general.name", $"{s.Name}-random-{s.DType}"),
            ("general.alignment", (uint)Alignment),
            ("llama.vocab_size", (uint)s.Vocab),
            ("llama.context_length", 4096u),
            ("llama.embedding_length", (uint)s.Dim),
            ("llama.block_count", (uint)s.Layers),
            ("llama.feed_forward_length", (uint)s.Ffn),
            ("llama.attention.head_count", (uint)s.Heads),
            ("llama.attention.head_count_kv", (uint)s.KvHeads),
            ("llama.rope.dimension_count", (uint)s.HeadDim),
            ("llama.attention.layer_norm_rms_epsilon", 1e-5f),
            ("llama.rope.freq_base", 10000f),
        };
        if (tokenizerSource is not null)
        {
            var source = PromptCache.Tokenizers.Gguf.GgufFile.Read(tokenizerSource);
            if (source.Metadata.TryGetValue("tokenizer.ggml.tokens", out object? tokens) && tokens is string[] list && list.Length != s.Vocab)
                throw new ArgumentException($"{tokenizerSource} has {list.Length} tokens but the model vocab is {s.Vocab}.");
            foreach (var (key, value) in source.Metadata)
                if (key.StartsWith("tokenizer.", StringComparison.Ordinal)) metadata.Add((key, value));
        }

        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var w = new BinaryWriter(file, Encoding.UTF8);
        w.Write(0x46554747u);
        w.Write(3u);
        w.Write((ulong)tensors.Count);
        w.Write((ulong)metadata.Count);
        foreach (var (key, value) in metadata)
        {
            WriteString(w, key);
            WriteValue(w, value);
        }
        long offset = 0;
        foreach (var t in tensors)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.GgufDims.Length);
            foreach (long d in t.GgufDims) w.Write((ulong)d);
            w.Write(t.Type);
            w.Write((ulong)offset);
            offset = Align(offset + Bytes(t));
        }
        Pad(w);
        var rng = new NormalSource(1234);
        var values = new float[1 << 16];
        var bytes = new byte[values.Length * 4];
        foreach (var t in tensors)
        {
            long remaining = t.GgufDims.Aggregate(1L, (a, b) => a * b);
            while (remaining > 0)
            {
                int n = (int)Math.Min(values.Length, remaining);
                if (t.Ones) Array.Fill(values, 1f, 0, n);
                else rng.Fill(values.AsSpan(0, n), 0.02f);
                int byteCount = Encode(values.AsSpan(0, n), t.Type, bytes);
                w.Write(bytes, 0, byteCount);
                remaining -= n;
            }
            Pad(w);
        }
    }

    // Integers read back as long are written as UInt32 and int arrays as Int32, which is how
    // llama.cpp stores the tokenizer ids and token types it reads back with strict types.
    private static void WriteValue(BinaryWriter w, object value)
    {
        switch (value)
        {
            case string str: w.Write(8u); WriteString(w, str); break;
            case uint u: w.Write(4u); w.Write(u); break;
            case long l: w.Write(4u); w.Write(checked((uint)l)); break;
            case float f: w.Write(6u); w.Write(f); break;
            case double d: w.Write(6u); w.Write((float)d); break;
            case bool b: w.Write(7u); w.Write(b ? (byte)1 : (byte)0); break;
            case string[] strings: w.Write(9u); w.Write(8u); w.Write((ulong)strings.Length); foreach (var x in strings) WriteString(w, x); break;
            case float[] floats: w.Write(9u); w.Write(6u); w.Write((ulong)floats.Length); foreach (var x in floats) w.Write(x); break;
            case int[] ints: w.Write(9u); w.Write(5u); w.Write((ulong)ints.Length); foreach (var x in ints) w.Write(x); break;
            default: throw new NotSupportedException($"GGUF metadata of type {value.GetType().Name}");
        }
    }

    private static int Encode(ReadOnlySpan<float> values, uint type, byte[] destination)
    {
        switch (type)
        {
            case 0:
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(destination);
                return values.Length * 4;
            case 1:
                for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(destination.AsSpan(2 * i), (Half)values[i]);
                return values.Length * 2;
            default:
                for (int i = 0; i < values.Length; i++)
                {
                    uint bits = BitConverter.SingleToUInt32Bits(values[i]);
                    ushort bf = (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
                    BitConverter.TryWriteBytes(destination.AsSpan(2 * i), bf);
                }
                return values.Length * 2;
        }
    }

    private static long Bytes(Tensor t) => t.GgufDims.Aggregate(1L, (a, b) => a * b) * (t.Type == 0 ? 4 : 2);

    private static long Align(long x) => (x + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter w)
    {
        w.Flush();
        while (w.BaseStream.Position % Alignment != 0) w.Write((byte)0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        byte[] b = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)b.Length);
        w.Write(b);
    }
}

/// <summary>Seeded normal random numbers (xorshift64* + Box-Muller): fast enough for a billion weights.</summary>
internal sealed class NormalSource(ulong seed)
{
    private ulong _state = seed * 0x9E3779B97F4A7C15UL + 1;

    private double Uniform()
    {
        _state ^= _state >> 12; _state ^= _state << 25; _state ^= _state >> 27;
        return ((_state * 0x2545F4914F6CDD1DUL) >> 11) * (1.0 / (1UL << 53)) + 1e-300;
    }

    public void Fill(Span<float> values, float std)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            double r = Math.Sqrt(-2 * Math.Log(Uniform())) * std, theta = 2 * Math.PI * Uniform();
            values[i] = (float)(r * Math.Cos(theta));
            if (i + 1 < values.Length) values[i + 1] = (float)(r * Math.Sin(theta));
        }
    }
}
