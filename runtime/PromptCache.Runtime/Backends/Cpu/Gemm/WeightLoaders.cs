using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// Loads 16 consecutive weights of one row as f32 in a zmm register. One struct per dtype (Q8_0
/// has its own block-wise loops, which convert a block's scale once); the packer is generic over them so the JIT compiles a specialised copy per dtype with no branch in
/// the inner loop.
/// </summary>
internal unsafe interface IWeightLoader512
{
    /// <summary>Values <paramref name="p"/> .. p+15 of <paramref name="row"/>.</summary>
    static abstract Vector512<float> Load16(byte* row, int p);
}

/// <summary>f32 weights: a plain load.</summary>
internal readonly unsafe struct F32Loader : IWeightLoader512
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int p) => Vector512.Load((float*)row + p);
}

/// <summary>bf16 weights: widen to 32 bits and shift into the high half.</summary>
internal readonly unsafe struct Bf16Loader : IWeightLoader512
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int p) =>
        Vector512.ShiftLeft(Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)row + p)), 16).AsSingle();
}

/// <summary>f16 weights: integer re-biasing, exact for every half (see <see cref="WeightDecoder"/>).</summary>
internal readonly unsafe struct F16Loader : IWeightLoader512
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int p) =>
        WeightDecoder.HalfBitsToSingle(Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)row + p)));
}

/// <summary>
/// f16 weights read 2^112 too small (see <see cref="F16ScaledKv"/>): only for a caller that has
/// multiplied the other operand by 2^112. Used by the GEMV when k is a multiple of 16 (no tail).
/// </summary>
internal readonly unsafe struct F16ScaledLoader : IWeightLoader512
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int p) => F16ScaledKv.Load16(row, p);
}
