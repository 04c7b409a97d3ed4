using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>Vectorised conversions between f32 and the 16-bit and Q8_0 storage types.</summary>
public static unsafe class FloatConversions
{
    /// <summary>bf16 → f32: a bf16 is the top half of an f32, so widen and shift left 16.</summary>
    public static void BFloat16ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("Destination is too short.", nameof(destination));
        int i = 0;
        ref ushort src = ref MemoryMarshal.GetReference(source);
        ref uint dst = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(destination));
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= source.Length; i += 16)
            {
                var wide = Vector512.WidenLower(Vector256.LoadUnsafe(ref src, (nuint)i).ToVector512Unsafe());
                (wide << 16).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= source.Length; i += 8)
            {
                var wide = Vector256.WidenLower(Vector128.LoadUnsafe(ref src, (nuint)i).ToVector256Unsafe());
                (wide << 16).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        for (; i < source.Length; i++) Unsafe.Add(ref dst, i) = (uint)Unsafe.Add(ref src, i) << 16;
    }

    /// <summary>
    /// f16 → f32 for short rows (K/V rows of one head), without TensorPrimitives' per-call overhead:
    /// the 15 magnitude bits shifted into f32 position and multiplied by 2^112 re-bias the exponent
    /// exactly (subnormals included); inf/NaN get the all-ones exponent; the sign is OR-ed back.
    /// </summary>
    public static void HalfToSingle(ushort* source, float* destination, int count)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var rebias = Vector512.Create(5.192296858534828e33f); // 2^112
            for (; i + 16 <= count; i += 16)
            {
                var w = Vector512.WidenLower(Vector256.Load(source + i).ToVector512Unsafe());
                var sign = (w & Vector512.Create(0x8000u)) << 16;
                var magnitude = (w & Vector512.Create(0x7FFFu)) << 13;
                var finite = (magnitude.AsSingle() * rebias).AsUInt32();
                var special = Vector512.Equals(w & Vector512.Create(0x7C00u), Vector512.Create(0x7C00u));
                var bits = Vector512.ConditionalSelect(special, magnitude | Vector512.Create(0x7F800000u), finite) | sign;
                bits.AsSingle().Store(destination + i);
            }
        }
        for (; i < count; i++) destination[i] = (float)BitConverter.UInt16BitsToHalf(source[i]);
    }

    /// <summary>f32 → bf16 with round-to-nearest-even (NaN kept a NaN).</summary>
    public static void SingleToBFloat16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("Destination is too short.", nameof(destination));
        for (int i = 0; i < source.Length; i++)
        {
            uint bits = BitConverter.SingleToUInt32Bits(source[i]);
            if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) { destination[i] = (ushort)((bits >> 16) | 0x40); continue; }
            uint rounding = 0x7FFF + ((bits >> 16) & 1);
            destination[i] = (ushort)((bits + rounding) >> 16);
        }
    }

    /// <summary>Converts one stored row of <paramref name="count"/> values to f32.</summary>
    public static void RowToSingle(void* row, WeightType type, int count, Span<float> destination)
    {
        switch (type)
        {
            case WeightType.F32: new ReadOnlySpan<float>(row, count).CopyTo(destination); break;
            case WeightType.F16: TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(row, count), destination); break;
            case WeightType.BF16: BFloat16ToSingle(new ReadOnlySpan<ushort>(row, count), destination); break;
            case WeightType.Q8_0:
                byte* block = (byte*)row;
                for (int b = 0; b < count / 32; b++, block += 34)
                {
                    float scale = (float)*(Half*)block;
                    sbyte* q = (sbyte*)(block + 2);
                    for (int j = 0; j < 32; j++) destination[b * 32 + j] = scale * q[j];
                }
                break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown weight type.");
        }
    }
}
