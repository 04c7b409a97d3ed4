using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Tokenizers.Gguf;

namespace PromptCache.Runtime.Loading;

/// <summary>The tensors of a GGUF file, pointing into one memory map of it.</summary>
internal sealed unsafe class GgufSource : ITensorSource
{
    // ggml type ids (ggml.h).
    private const uint GgmlF32 = 0, GgmlF16 = 1, GgmlQ8_0 = 8, GgmlBF16 = 30;

    private readonly MappedFile _file;
    private readonly Dictionary<string, RawTensor> _tensors = new(StringComparer.Ordinal);

    public GgufSource(GgufFile header)
    {
        Header = header;
        _file = MappedFile.Open(header.Path);
        try
        {
            foreach (var t in header.Tensors) Add(t);
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    public GgufFile Header { get; }

    public string Description => Header.Path;

    private void Add(GgufTensorInfo info)
    {
        WeightType? type = info.Type switch
        {
            GgmlF32 => WeightType.F32,
            GgmlF16 => WeightType.F16,
            GgmlBF16 => WeightType.BF16,
            GgmlQ8_0 => WeightType.Q8_0,
            _ => null,
        };
        // An unsupported type is only an error if the model actually needs that tensor; remember it.
        long[] shape = info.Dimensions.Reverse().ToArray(); // GGUF lists ne[0] (fastest) first; PyTorch order is the reverse.
        if (type is null)
        {
            _unsupported[info.Name] = info.Type;
            return;
        }
        long count = info.ElementCount;
        long bytes = type switch
        {
            WeightType.F32 => count * 4,
            WeightType.Q8_0 => count / 32 * 34,
            _ => count * 2,
        };
        if (type == WeightType.Q8_0 && info.Dimensions[0] % 32 != 0)
            throw new InvalidDataException($"'{Header.Path}': Q8_0 tensor '{info.Name}' has a row of {info.Dimensions[0]} values, not a multiple of 32.");
        long offset = Header.DataOffset + info.Offset;
        _file.CheckRange(offset, bytes, $"tensor '{info.Name}'");
        _tensors[info.Name] = new RawTensor(info.Name, _file.Pointer + offset, type.Value, shape);
    }

    private readonly Dictionary<string, uint> _unsupported = new(StringComparer.Ordinal);

    public bool TryGet(string name, out RawTensor tensor)
    {
        if (_unsupported.TryGetValue(name, out uint ggmlType))
            throw new InvalidDataException($"'{Header.Path}': tensor '{name}' has ggml type {ggmlType}; supported: F32 (0), F16 (1), Q8_0 (8), BF16 (30).");
        return _tensors.TryGetValue(name, out tensor);
    }

    public void Dispose() => _file.Dispose();
}
