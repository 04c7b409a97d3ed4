using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// Converts a run of one weight row from its stored dtype to f32. This is where "weights stay in
/// their stored dtype" is paid for: once per packed panel, not once per multiply.
/// </summary>
internal static unsafe class WeightDecoder
{
    /// <summary>
    /// Writes values <paramref name="p0"/> .. <paramref name="p0"/>+<paramref name="count"/> of the
    /// row at <paramref name="row"/> to <paramref name="dst"/> as f32. For Q8_0, <paramref name="p0"/>
    /// and <paramref name="count"/> must be multiples of 32.
    /// </summary>
    public static void Decode(void* row, WeightType type, int p0, int count, float* dst, GemmPath path)
    {
        switch (type)
        {
            case WeightType.F32:
                Buffer.MemoryCopy((float*)row + p0, dst, (long)count * 4, (long)count * 4);
                break;
            case WeightType.BF16:
                DecodeBf16((ushort*)row + p0, count, dst, path);
                break;
            case WeightType.F16:
                DecodeF16((ushort*)row + p0, count, dst, path);
                break;
            case WeightType.Q8_0:
                DecodeQ8((byte*)row + (long)(p0 / WeightLayout.Q8BlockValues) * WeightLayout.Q8BlockBytes,
                    count / WeightLayout.Q8BlockValues, dst, path);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown weight type.");
        }
    }

    // bf16 is the top half of an f32, so widening is a 16-bit shift: no rounding, no special cases.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeBf16(ushort* src, int count, float* dst, GemmPath path)
    {
        int i = 0;
        if (path == GemmPath.Vector512)
        {
            for (; i + 16 <= count; i += 16)
            {
                Vector512<uint> w = Avx512F.ConvertToVector512UInt32(Vector256.Load(src + i));
                Vector512.ShiftLeft(w, 16).AsSingle().Store(dst + i);
            }
        }
        else if (path == GemmPath.Vector256)
        {
            for (; i + 8 <= count; i += 8)
            {
                Vector256<int> w = Avx2.ConvertToVector256Int32(Vector128.Load(src + i));
                Vector256.ShiftLeft(w, 16).AsSingle().Store(dst + i);
            }
        }
        for (; i < count; i++)
        {
            dst[i] = BitConverter.Int32BitsToSingle(src[i] << 16);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeF16(ushort* src, int count, float* dst, GemmPath path)
    {
        int i = 0;
        if (path == GemmPath.Vector512)
        {
            for (; i + 16 <= count; i += 16)
            {
                HalfBitsToSingle(Avx512F.ConvertToVector512UInt32(Vector256.Load(src + i))).Store(dst + i);
            }
        }
        else if (path == GemmPath.Vector256)
        {
            for (; i + 8 <= count; i += 8)
            {
                HalfBitsToSingle(Avx2.ConvertToVector256Int32(Vector128.Load(src + i)).AsUInt32()).Store(dst + i);
            }
        }
        for (; i < count; i++)
        {
            dst[i] = (float)BitConverter.UInt16BitsToHalf(src[i]);
        }
    }

    // .NET 10 exposes no vcvtph2ps, so half -> single is done with integer ops. Shifting the half's
    // exponent and mantissa into place gives a float 2^112 times too small (the exponent biases are
    // 15 and 127), for normal and subnormal halves alike, so one multiply by 2^112 rebiases exactly.
    // Infinities and NaNs (half exponent 31) get the all-ones float exponent instead. Exact for
    // every one of the 65536 bit patterns (tested exhaustively).
    private const uint HalfAbsMask = 0x7FFF;
    private const uint HalfInfShifted = 0x7C00u << 13;
    private const float TwoPow112 = 5.192296858534828e33f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> HalfBitsToSingle(Vector512<uint> h)
    {
        Vector512<uint> abs = Vector512.ShiftLeft(h & Vector512.Create(HalfAbsMask), 13);
        Vector512<float> f = abs.AsSingle() * Vector512.Create(TwoPow112);
        Vector512<uint> special = Vector512.GreaterThanOrEqual(abs, Vector512.Create(HalfInfShifted));
        Vector512<uint> bits = Vector512.ConditionalSelect(special, abs | Vector512.Create(0x7F800000u), f.AsUInt32());
        return (bits | Vector512.ShiftLeft(h & Vector512.Create(0x8000u), 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> HalfBitsToSingle(Vector256<uint> h)
    {
        Vector256<uint> abs = Vector256.ShiftLeft(h & Vector256.Create(HalfAbsMask), 13);
        Vector256<float> f = abs.AsSingle() * Vector256.Create(TwoPow112);
        Vector256<uint> special = Vector256.GreaterThanOrEqual(abs, Vector256.Create(HalfInfShifted));
        Vector256<uint> bits = Vector256.ConditionalSelect(special, abs | Vector256.Create(0x7F800000u), f.AsUInt32());
        return (bits | Vector256.ShiftLeft(h & Vector256.Create(0x8000u), 16)).AsSingle();
    }

    /// <summary>
    /// The fp16 scales of 16 Q8_0 blocks that lie <paramref name="stride"/> bytes apart (34 for
    /// consecutive blocks of a row, the row size for one block of 16 rows), as f32: one gather and
    /// one vector conversion instead of 16 scalar half conversions (.NET 10 has no 512-bit gather,
    /// so the 16 words are collected with scalar loads).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Q8Scales16(byte* first, long stride)
    {
        ushort* words = stackalloc ushort[16];
        for (int i = 0; i < 16; i++)
        {
            words[i] = Unsafe.ReadUnaligned<ushort>(first + i * stride);
        }

        return HalfBitsToSingle(Avx512F.ConvertToVector512UInt32(Vector256.Load(words)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeQ8(byte* block, int blocks, float* dst, GemmPath path)
    {
        float* scales = stackalloc float[16];
        int b = 0;
        if (path == GemmPath.Vector512)
        {
            for (; b + 16 <= blocks; b += 16)
            {
                Q8Scales16(block, WeightLayout.Q8BlockBytes).Store(scales);
                for (int i = 0; i < 16; i++, block += WeightLayout.Q8BlockBytes, dst += WeightLayout.Q8BlockValues)
                {
                    Vector512<float> scale = Vector512.Create(scales[i]);
                    sbyte* q = (sbyte*)(block + 2);
                    (Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q))) * scale).Store(dst);
                    (Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q + 16))) * scale).Store(dst + 16);
                }
            }
        }

        for (; b < blocks; b++, block += WeightLayout.Q8BlockBytes, dst += WeightLayout.Q8BlockValues)
        {
            float d = (float)BitConverter.UInt16BitsToHalf(Unsafe.ReadUnaligned<ushort>(block));
            sbyte* q = (sbyte*)(block + 2);
            if (path == GemmPath.Vector512)
            {
                Vector512<float> scale = Vector512.Create(d);
                (Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q))) * scale).Store(dst);
                (Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q + 16))) * scale).Store(dst + 16);
            }
            else if (path == GemmPath.Vector256)
            {
                Vector256<float> scale = Vector256.Create(d);
                for (int j = 0; j < 32; j += 8)
                {
                    (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q + j)) * scale).Store(dst + j);
                }
            }
            else
            {
                for (int j = 0; j < 32; j++)
                {
                    dst[j] = d * q[j];
                }
            }
        }
    }
}
