using System.Text;

namespace PromptCache.Tokenizers.Tests;

/// <summary>Writes a minimal GGUF v3 file (metadata only, no tensors) for vocabulary tests.</summary>
internal sealed class GgufTestWriter
{
    private readonly List<(string Key, Action<BinaryWriter> Write)> _entries = new();

    public GgufTestWriter String(string key, string value) => Add(key, w => { w.Write(8u); WriteString(w, value); });

    public GgufTestWriter UInt32(string key, uint value) => Add(key, w => { w.Write(4u); w.Write(value); });

    public GgufTestWriter Bool(string key, bool value) => Add(key, w => { w.Write(7u); w.Write((byte)(value ? 1 : 0)); });

    public GgufTestWriter Strings(string key, IReadOnlyList<string> values) => Add(key, w =>
    {
        w.Write(9u);
        w.Write(8u);
        w.Write((ulong)values.Count);
        foreach (string v in values) WriteString(w, v);
    });

    public GgufTestWriter Floats(string key, IReadOnlyList<float> values) => Add(key, w =>
    {
        w.Write(9u);
        w.Write(6u);
        w.Write((ulong)values.Count);
        foreach (float v in values) w.Write(v);
    });

    public GgufTestWriter Ints(string key, IReadOnlyList<int> values) => Add(key, w =>
    {
        w.Write(9u);
        w.Write(5u);
        w.Write((ulong)values.Count);
        foreach (int v in values) w.Write(v);
    });

    private GgufTestWriter Add(string key, Action<BinaryWriter> write)
    {
        _entries.Add((key, write));
        return this;
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    public string Save()
    {
        string path = Path.Combine(Path.GetTempPath(), "pc-tok-" + Guid.NewGuid().ToString("N") + ".gguf");
        using var stream = File.Create(path);
        using var w = new BinaryWriter(stream);
        w.Write(0x46554747u); // "GGUF"
        w.Write(3u);
        w.Write(0UL); // tensors
        w.Write((ulong)_entries.Count);
        foreach (var (key, write) in _entries)
        {
            WriteString(w, key);
            write(w);
        }
        return path;
    }
}
