using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// Loads 16 consecutive weights of one row as f32 in a zmm register. One struct per dtype; the
/// packer is generic over them so the JIT compiles a specialised copy per dtype with no branch in
/// the inner loop.
/// </summary>
internal unsafe interface IWeightLoader512
{
    /// <summary>Values <paramref name="p"/> .. p+15 of <paramref name="row"/>. For Q8_0, p is a multiple of 16.</summary>
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

/// <summary>Q8_0 weights: sign-extend 16 bytes of the block and scale by its fp16 d.</summary>
internal readonly unsafe struct Q8Loader : IWeightLoader512
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int p)
    {
        byte* block = row + (long)(p >> 5) * WeightLayout.Q8BlockBytes;
        float d = (float)BitConverter.UInt16BitsToHalf(Unsafe.ReadUnaligned<ushort>(block));
        Vector512<int> q = Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)block + 2 + (p & 31)));
        return Avx512F.ConvertToVector512Single(q) * Vector512.Create(d);
    }
}
