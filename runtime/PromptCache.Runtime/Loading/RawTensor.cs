using PromptCache.Runtime.Backends.Cpu;

namespace PromptCache.Runtime.Loading;

/// <summary>
/// A tensor as found in a file: a pointer into a memory map, its element type and its shape in
/// PyTorch order (outermost first, so a linear weight is [out_features, in_features]).
/// </summary>
internal readonly unsafe struct RawTensor(string name, void* data, WeightType type, long[] shape)
{
    public string Name { get; } = name;
    public void* Data { get; } = data;
    public WeightType Type { get; } = type;
    public long[] Shape { get; } = shape;

    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Shape) n *= d;
            return n;
        }
    }

    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>A set of named tensors from one model file or folder (safetensors shards or a GGUF).</summary>
internal interface ITensorSource : IDisposable
{
    /// <summary>Where the tensors come from, for error messages.</summary>
    string Description { get; }

    /// <summary>Finds a tensor by its file-format name.</summary>
    bool TryGet(string name, out RawTensor tensor);
}
