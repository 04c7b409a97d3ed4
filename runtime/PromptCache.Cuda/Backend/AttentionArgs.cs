using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// attention_wgmma.cu's <c>QueryRope</c> (24 bytes): RoPE the wgmma kernels apply to q as they load it; <see cref="Cos"/> 0
/// when q is already rotated. Cos and sin are [rows × <see cref="Half"/>] from the launch's first query row.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct QueryRope
{
    public ulong Cos;
    public ulong Sin;
    public int Half;
    public int Interleaved;
}

/// <summary>One segment as attention.cu's <c>KvSegmentView</c> (24 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvSegmentView
{
    public ulong Keys;
    public ulong Values;
    public int Visible;
    public int Causal;
}

/// <summary>
/// attention_wgmma.cu's <c>KvMaps</c> (1024 bytes): the K maps of a KvList's first <see cref="Segments"/> segments, then
/// their V maps (<see cref="TensorMap.KvRows"/>), for the warp-specialised kernel's copy-engine loads.
/// </summary>
[InlineArray(2 * Segments)]
internal struct KvMaps
{
    /// <summary>WS_TMA_SEGMENTS in attention_wgmma.cu.</summary>
    public const int Segments = 4;

    private TensorMap _first;

    /// <summary>The maps of <paramref name="list"/>'s segments as <paramref name="m"/> query rows see them (a causal segment shows its visible keys plus the rows').</summary>
    public static KvMaps For(in KvList list, int m, int headDim, int kvHeads)
    {
        if (list.Count > Segments) throw new ArgumentException($"The copy-engine attention takes at most {Segments} segments ({list.Count} here).");
        var maps = new KvMaps();
        for (int s = 0; s < list.Count; s++)
        {
            var seg = list.Segment[s];
            int tokens = seg.Causal != 0 ? seg.Visible + m : seg.Visible;
            maps[s] = TensorMap.KvRows(seg.Keys, headDim, kvHeads, tokens, list.Stride);
            maps[Segments + s] = TensorMap.KvRows(seg.Values, headDim, kvHeads, tokens, list.Stride);
        }
        return maps;
    }
}

/// <summary>attention.cu's <c>KvList</c>: up to <see cref="Capacity"/> segments, passed by value (776 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvList
{
    /// <summary>MAX_SEGMENTS in attention.cu.</summary>
    public const int Capacity = 32;

    public Segments Segment;
    public int Count;
    public int Stride;

    [InlineArray(Capacity)]
    public struct Segments
    {
        private KvSegmentView _first;
    }
}

/// <summary>
/// attention_wgmma.cu's <c>RowLimits</c> (532 bytes): the keys each row group of one block sees of every non-causal
/// segment (<c>Visible[g * KvList.Capacity + s]</c>), the groups' first rows, and how many groups there are.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RowLimits
{
    public VisibleCounts Visible;
    public KvGroups.Ints FirstRow;
    public int Count;

    [InlineArray(KvGroups.Capacity * KvList.Capacity)]
    public struct VisibleCounts
    {
        private int _first;
    }
}

/// <summary>attention_wgmma.cu's <c>KvGroups</c>: up to four row groups of one layer's short query, each with its own K/V view (3168 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvGroups
{
    /// <summary>MAX_ROW_GROUPS in attention_wgmma.cu.</summary>
    public const int Capacity = 4;

    public Lists List;
    public Ints FirstRow;
    public Ints Rows;
    public Blocks FirstBlock;
    public int Count;
    public int TotalRows;

    [InlineArray(Capacity)]
    public struct Lists
    {
        private KvList _first;
    }

    [InlineArray(Capacity)]
    public struct Ints
    {
        private int _first;
    }

    [InlineArray(Capacity + 1)]
    public struct Blocks
    {
        private int _first;
    }
}
