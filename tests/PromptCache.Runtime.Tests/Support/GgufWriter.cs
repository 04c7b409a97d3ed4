using System.Text;

namespace PromptCache.Runtime.Tests.Support;

/// <summary>
/// A minimal GGUF v3 writer for tests: string/u32/f32 metadata and F32 tensors. Shapes are given in
/// PyTorch order and written reversed (GGUF lists the fastest-varying dimension first).
/// </summary>
internal sealed class GgufWriter
{
    private const int Alignment = 32;
    private readonly List<(string Key, object Value)> _metadata = new();
    private readonly List<(string Name, long[] Shape, float[] Data)> _tensors = new();

    public GgufWriter Add(string key, object value)
    {
        _metadata.Add((key, value));
        return this;
    }

    public GgufWriter AddTensor(string name, long[] shape, float[] data)
    {
        Assert.Equal(shape.Aggregate(1L, (a, b) => a * b), data.LongLength);
        _tensors.Add((name, shape, data));
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
        foreach (var (name, shape, data) in _tensors)
        {
            WriteString(w, name);
            w.Write((uint)shape.Length);
            foreach (long d in shape.Reverse()) w.Write((ulong)d);
            w.Write(0u); // F32
            w.Write((ulong)offset);
            offset = Align(offset + data.LongLength * 4);
        }
        Pad(w);
        foreach (var (_, _, data) in _tensors)
        {
            foreach (float f in data) w.Write(f);
            Pad(w);
        }
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
