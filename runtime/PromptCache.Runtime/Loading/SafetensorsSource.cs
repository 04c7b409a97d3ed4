using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using PromptCache.Runtime.Backends.Cpu;

namespace PromptCache.Runtime.Loading;

/// <summary>
/// The tensors of a Hugging Face folder: one <c>model.safetensors</c>, or the shards listed by
/// <c>model.safetensors.index.json</c>. Each shard is memory-mapped once; tensors point into it.
/// </summary>
internal sealed unsafe class SafetensorsSource : ITensorSource
{
    private readonly List<MappedFile> _files = new();
    private readonly Dictionary<string, RawTensor> _tensors = new(StringComparer.Ordinal);

    private SafetensorsSource(string description) => Description = description;

    public string Description { get; }

    public static SafetensorsSource OpenFolder(string folder)
    {
        string index = Path.Combine(folder, "model.safetensors.index.json");
        string single = Path.Combine(folder, "model.safetensors");
        var source = new SafetensorsSource(folder);
        try
        {
            if (File.Exists(index))
            {
                foreach (string shard in ReadShardNames(index))
                    source.AddFile(Path.Combine(folder, shard));
            }
            else if (File.Exists(single))
            {
                source.AddFile(single);
            }
            else
            {
                string[] any = Directory.GetFiles(folder, "*.safetensors");
                if (any.Length == 0)
                    throw new FileNotFoundException($"'{folder}' has no model.safetensors, no model.safetensors.index.json and no *.safetensors file.");
                Array.Sort(any, StringComparer.Ordinal);
                foreach (string f in any) source.AddFile(f);
            }
            return source;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    private static IEnumerable<string> ReadShardNames(string indexPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"'{indexPath}' has no \"weight_map\" object.");
        var shards = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var entry in map.EnumerateObject())
            shards.Add(entry.Value.GetString() ?? throw new InvalidDataException($"'{indexPath}': weight_map entry '{entry.Name}' is not a string."));
        return shards;
    }

    private void AddFile(string path)
    {
        var file = MappedFile.Open(path);
        _files.Add(file);
        file.CheckRange(0, 8, "the header length");
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(new ReadOnlySpan<byte>(file.Pointer, 8));
        if (headerLength <= 0 || headerLength > 100_000_000) throw new InvalidDataException($"'{path}': safetensors header length {headerLength} is corrupt.");
        file.CheckRange(8, headerLength, "the JSON header");
        long dataStart = 8 + headerLength;
        using var doc = JsonDocument.Parse(new ReadOnlyMemory<byte>(new ReadOnlySpan<byte>(file.Pointer + 8, (int)headerLength).ToArray()));
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            string dtype = entry.Value.GetProperty("dtype").GetString() ?? "";
            long[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (offsets.Length != 2) throw new InvalidDataException($"'{path}': tensor '{entry.Name}' has {offsets.Length} data_offsets, expected 2.");
            WeightType type = dtype switch
            {
                "F32" => WeightType.F32,
                "F16" => WeightType.F16,
                "BF16" => WeightType.BF16,
                _ => throw new InvalidDataException($"'{path}': tensor '{entry.Name}' has dtype {dtype}; supported: F32, F16, BF16."),
            };
            long count = 1;
            foreach (long d in shape) count *= d;
            long expectedBytes = count * (type == WeightType.F32 ? 4 : 2);
            if (offsets[1] - offsets[0] != expectedBytes)
                throw new InvalidDataException($"'{path}': tensor '{entry.Name}' of shape [{string.Join(", ", shape)}] {dtype} needs {expectedBytes} bytes but data_offsets span {offsets[1] - offsets[0]}.");
            file.CheckRange(dataStart + offsets[0], expectedBytes, $"tensor '{entry.Name}'");
            _tensors[entry.Name] = new RawTensor(entry.Name, file.Pointer + dataStart + offsets[0], type, shape);
        }
    }

    public bool TryGet(string name, out RawTensor tensor) => _tensors.TryGetValue(name, out tensor);

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
        _files.Clear();
    }
}
