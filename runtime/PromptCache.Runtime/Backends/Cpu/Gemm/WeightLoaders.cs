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
/// f16 weights read 2^112 too small: a half's sign, exponent and mantissa moved to their f32 places
/// form a float equal to the half times 2^-112, exactly, subnormal halves included (the exponent
/// biases are 15 and 127). Three integer operations per 16 values (sign-extending widen, shift, mask)
/// instead of the eight of <see cref="F16Loader"/>. Only for a caller that has multiplied the other
/// operand by <see cref="Scale"/>; then every product equals the exact one. A stored ±inf or NaN
/// reads as a finite ±65536..131071. Used by the GEMV (k a multiple of 16) and the decode attention.
/// </summary>
internal readonly unsafe struct F16ScaledLoader : IWeightLoader512
{
    /// <summary>2^112, what the loaded values must be multiplied by.</summary>
    public const float Scale = 5.192296858534828e33f;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int p)
    {
        // Sign-extended, shifted by 13: bits 13..27 hold the magnitude, 28..31 copies of the sign;
        // the mask keeps bit 31 as the sign and clears 28..30.
        Vector512<int> wide = Avx512F.ConvertToVector512Int32(Vector256.Load((short*)row + p));
        return (Vector512.ShiftLeft(wide, 13) & Vector512.Create(unchecked((int)0x8FFFE000))).AsSingle();
    }
}
