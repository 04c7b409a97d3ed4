using System.Runtime.InteropServices;
using PromptCache.Cuda.Interop;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// A CUtensorMap: the 128 opaque bytes through which the copy engine (TMA) reads boxes of a 2-D or 3-D array. A kernel
/// takes it by value (a <c>__grid_constant__</c> parameter), so a launch recorded in a CUDA graph keeps its own copy.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 128)]
internal unsafe struct TensorMap
{
    private fixed ulong _words[16];

    /// <summary>Columns per box: one 128-byte row of bf16, the width of the 128-byte swizzle.</summary>
    public const int BoxColumns = 64;

    /// <summary>
    /// <paramref name="rows"/> × <paramref name="cols"/> bf16, row-major at <paramref name="address"/>, read in boxes
    /// of 64 columns × <paramref name="boxRows"/> rows in the 128-byte swizzle that wgmma reads; rows and columns
    /// past the end read as zeros. The driver asks for a 16-byte aligned address and rows of a multiple of 16 bytes.
    /// </summary>
    public static TensorMap Bf16Rows(ulong address, long rows, int cols, int boxRows)
    {
        if ((address & 15) != 0 || cols % 8 != 0)
            throw new ArgumentException($"A tensor map needs a 16-byte aligned address and a multiple of 8 bf16 columns (address 0x{address:x}, {cols} columns).");
        return Encode(address, [(ulong)cols, (ulong)rows], [(ulong)cols * sizeof(ushort)], [BoxColumns, (uint)boxRows]);
    }

    /// <summary>
    /// A segment's K or V rows at <paramref name="address"/>: <paramref name="tokens"/> rows <paramref name="rowStride"/>
    /// bf16 apart, each <paramref name="kvHeads"/> heads of <paramref name="headDim"/> bf16, read in boxes of 64 dims × 1
    /// head × 64 tokens in the 128-byte swizzle (one panel of a wgmma attention tile); tokens past the end read as zeros.
    /// </summary>
    public static TensorMap KvRows(ulong address, int headDim, int kvHeads, int tokens, int rowStride)
    {
        if ((address & 15) != 0 || headDim % 64 != 0 || rowStride % 8 != 0)
            throw new ArgumentException($"A K/V tensor map needs a 16-byte aligned address, head dims in 64s and rows of 16-byte multiples (address 0x{address:x}, head dim {headDim}, row stride {rowStride}).");
        return Encode(address, [(ulong)headDim, (ulong)kvHeads, (ulong)Math.Max(tokens, 1)],
            [(ulong)headDim * sizeof(ushort), (ulong)rowStride * sizeof(ushort)], [BoxColumns, 1, BoxColumns]);
    }

    // bf16, the 128-byte swizzle, zeros past the ends; strides (in bytes) of every dimension but the first.
    private static TensorMap Encode(ulong address, ReadOnlySpan<ulong> dims, ReadOnlySpan<ulong> strides, ReadOnlySpan<uint> box)
    {
        byte* raw = stackalloc byte[sizeof(TensorMap) + 64];
        void* aligned = (void*)(((nuint)raw + 63) & ~(nuint)63); // the driver writes the map at a 64-byte boundary
        uint* elementStrides = stackalloc uint[] { 1, 1, 1 };
        fixed (ulong* d = dims, s = strides)
        fixed (uint* b = box)
            CudaCheck.Driver(CuDriver.cuTensorMapEncodeTiled(aligned, CuDriver.TensorMapBfloat16, (uint)dims.Length, address, d, s, b, elementStrides,
                CuDriver.TensorMapInterleaveNone, CuDriver.TensorMapSwizzle128B, CuDriver.TensorMapL2Promotion256B, CuDriver.TensorMapOobFillZeros));
        return *(TensorMap*)aligned;
    }
}
