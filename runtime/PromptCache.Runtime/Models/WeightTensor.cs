using PromptCache.Runtime.Backends.Cpu;

namespace PromptCache.Runtime.Models;

/// <summary>
/// A 2-D weight used in place: <see cref="Rows"/> × <see cref="Cols"/>, row-major, PyTorch's
/// [out_features, in_features] layout, in its stored <see cref="Type"/>. The memory belongs to a
/// memory-mapped model file and is never written.
/// </summary>
public readonly unsafe struct WeightTensor
{
    /// <summary>Creates a view of stored weights.</summary>
    public WeightTensor(string name, void* data, WeightType type, int rows, int cols)
    {
        Name = name;
        Data = data;
        Type = type;
        Rows = rows;
        Cols = cols;
    }

    /// <summary>The tensor's name in its file, for error messages.</summary>
    public string Name { get; }

    /// <summary>The first byte of the stored data.</summary>
    public void* Data { get; }

    /// <summary>The stored element type.</summary>
    public WeightType Type { get; }

    /// <summary>Output features (rows).</summary>
    public int Rows { get; }

    /// <summary>Input features (columns).</summary>
    public int Cols { get; }

    /// <summary>Bytes of one stored row.</summary>
    public long RowBytes => Type switch
    {
        WeightType.F32 => Cols * 4L,
        WeightType.Q8_0 => Cols / 32 * 34L,
        _ => Cols * 2L,
    };

    /// <summary>Bytes of the whole tensor.</summary>
    public long TotalBytes => RowBytes * Rows;
}
