using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// Loads 16 consecutive K/V values of one row as f32 in a zmm register (<see cref="IWeightLoader512.Load16"/>),
/// converting in registers on the way to the FMAs (no intermediate row). The decode attention is generic over these so the JIT
/// compiles one copy per storage type with no branch in the inner loops.
/// </summary>
internal unsafe interface IKvLoader : IWeightLoader512
{
    /// <summary>Bytes per stored value.</summary>
    static abstract int ElementBytes { get; }

    /// <summary>
    /// What the loaded values must be multiplied by to give the stored values: 1, or 2^112 for
    /// <see cref="F16ScaledKv"/>. The caller folds it into the other operand (queries, probabilities).
    /// </summary>
    static abstract float Scale { get; }
}

/// <summary>f32 K/V: a plain load.</summary>
internal readonly unsafe struct F32Kv : IKvLoader
{
    public static int ElementBytes => 4;

    public static float Scale => 1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int d) => Vector512.Load((float*)row + d);
}

/// <summary>bf16 K/V: widen and shift into the high half (exact).</summary>
internal readonly unsafe struct Bf16Kv : IKvLoader
{
    public static int ElementBytes => 2;

    public static float Scale => 1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int d) =>
        Vector512.ShiftLeft(Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)row + d)), 16).AsSingle();
}

/// <summary>
/// f16 K/V read 2^112 too small with three integer operations (<see cref="F16ScaledLoader"/>); the
/// caller multiplies the queries and the softmax weights by <see cref="Scale"/> = 2^112 instead, a
/// power of two, so every result is bit-identical to exact conversion as long as those operands stay
/// below 2^15 in magnitude (checked by the caller). A stored ±inf or NaN (an f32 that overflowed the
/// half range when stored) reads as a finite ±65536..131071 here instead of propagating.
/// </summary>
internal readonly unsafe struct F16ScaledKv : IKvLoader
{
    public static int ElementBytes => 2;

    public static float Scale => F16ScaledLoader.Scale;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int d) => F16ScaledLoader.Load16(row, d);
}

/// <summary>f16 K/V converted exactly (inf and NaN kept): the fallback when an operand is too large to take the 2^112 of <see cref="F16ScaledKv"/>.</summary>
internal readonly unsafe struct F16ExactKv : IKvLoader
{
    public static int ElementBytes => 2;

    public static float Scale => 1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int d) =>
        WeightDecoder.HalfBitsToSingle(Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)row + d)));
}
