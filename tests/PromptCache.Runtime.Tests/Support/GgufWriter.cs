using System.Text;

namespace PromptCache.Runtime.Tests.Support;

/// <summary>
/// A minimal GGUF v3 writer for tests: string/u32/f32 metadata and F32, F16, BF16 or Q8_0 tensors.
/// Shapes are given in PyTorch order and written reversed (GGUF lists the fastest-varying dimension first).
/// </summary>
internal sealed class GgufWriter
{
    private const int Alignment = 32;
    private readonly List<(string Key, object Value)> _metadata = new();
    private readonly List<(string Name, long[] Shape, float[] Data, GgmlType Type)> _tensors = new();

    public GgufWriter Add(string key, object value)
    {
        _metadata.Add((key, value));
        return this;
    }

    public GgufWriter AddTensor(string name, long[] shape, float[] data, GgmlType type = GgmlType.F32)
    {
        Assert.Equal(shape.Aggregate(1L, (a, b) => a * b), data.LongLength);
        _tensors.Add((name, shape, data, type));
        return this;
    }

    public void Save(string path)
    {
        using var stream = File.Create(path);
        using var w = new BinaryWriter(stream, Encoding.UTF8);
        w.Write(0x46554747u); // "GGUF"
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            WriteString(w, key);
            switch (value)
            {
                case string s: w.Write(8u); WriteString(w, s); break;
                case uint u: w.Write(4u); w.Write(u); break;
                case int i: w.Write(4u); w.Write((uint)i); break;
                case float f: w.Write(6u); w.Write(f); break;
                default: throw new NotSupportedException(value.GetType().Name);
            }
        }
        long offset = 0;
        var encoded = _tensors.Select(t => Encode(t.Data, t.Type)).ToList();
        for (int i = 0; i < _tensors.Count; i++)
        {
            var (name, shape, _, type) = _tensors[i];
            WriteString(w, name);
            w.Write((uint)shape.Length);
            foreach (long d in shape.Reverse()) w.Write((ulong)d);
            w.Write((uint)type);
            w.Write((ulong)offset);
            offset = Align(offset + encoded[i].Length);
        }
        Pad(w);
        foreach (byte[] bytes in encoded)
        {
            w.Write(bytes);
            Pad(w);
        }
    }

    /// <summary>The value each element has once stored as <paramref name="type"/> and read back.</summary>
    public static float[] RoundTrip(float[] data, GgmlType type)
    {
        switch (type)
        {
            case GgmlType.F32: return data;
            case GgmlType.F16: return data.Select(x => (float)(Half)x).ToArray();
            case GgmlType.BF16: return data.Select(x => BitConverter.UInt32BitsToSingle((uint)BFloat16(x) << 16)).ToArray();
            default:
                var result = new float[data.Length];
                for (int b = 0; b < data.Length / 32; b++)
                {
                    var (scale, q) = QuantizeBlock(data.AsSpan(b * 32, 32));
                    for (int j = 0; j < 32; j++) result[b * 32 + j] = (float)scale * q[j];
                }
                return result;
        }
    }

    private static byte[] Encode(float[] data, GgmlType type)
    {
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms);
        switch (type)
        {
            case GgmlType.F32: foreach (float f in data) w.Write(f); break;
            case GgmlType.F16: foreach (float f in data) w.Write((Half)f); break;
            case GgmlType.BF16: foreach (float f in data) w.Write(BFloat16(f)); break;
            case GgmlType.Q8_0:
                Assert.True(data.Length % 32 == 0, "Q8_0 needs rows that are a multiple of 32");
                for (int b = 0; b < data.Length / 32; b++)
                {
                    var (scale, q) = QuantizeBlock(data.AsSpan(b * 32, 32));
                    w.Write(scale);
                    foreach (sbyte v in q) w.Write(v);
                }
                break;
        }
        w.Flush();
        return ms.ToArray();
    }

    private static ushort BFloat16(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    // llama.cpp's quantize_row_q8_0: d = max|x| / 127, q = round(x / d), d stored as f16.
    private static (Half Scale, sbyte[] Q) QuantizeBlock(ReadOnlySpan<float> x)
    {
        float amax = 0;
        foreach (float v in x) amax = MathF.Max(amax, MathF.Abs(v));
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        var q = new sbyte[32];
        for (int j = 0; j < 32; j++) q[j] = (sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
        return ((Half)d, q);
    }

    private static long Align(long x) => (x + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter w)
    {
        while (w.BaseStream.Position % Alignment != 0) w.Write((byte)0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }
}

/// <summary>The ggml tensor types the test writer can produce (public: xunit theory data).</summary>
public enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
    Q8_0 = 8,
    BF16 = 30,
}
