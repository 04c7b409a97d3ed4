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

    // .NET 10 exposes no vcvtph2ps, so half -> single is done with integer ops: move the exponent
    // and mantissa into place and rebias; infinities/NaNs get the extra bias, and subnormals are
    // renormalised by one float subtraction. Exact for every half value.
    private const uint HalfExpMaskShifted = 0x7C00u << 13;
    private const uint ExpRebias = (127 - 15) << 23;
    private const uint SubnormalMagic = 113u << 23;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> HalfBitsToSingle(Vector512<uint> h)
    {
        Vector512<uint> sign = Vector512.ShiftLeft(h & Vector512.Create(0x8000u), 16);
        Vector512<uint> o = Vector512.ShiftLeft(h & Vector512.Create(0x7FFFu), 13);
        Vector512<uint> exp = o & Vector512.Create(HalfExpMaskShifted);
        o += Vector512.Create(ExpRebias);
        Vector512<uint> normal = o + (Vector512.Equals(exp, Vector512.Create(HalfExpMaskShifted)) & Vector512.Create(ExpRebias));
        Vector512<float> sub = (o + Vector512.Create(1u << 23)).AsSingle() - Vector512.Create(SubnormalMagic).AsSingle();
        Vector512<uint> bits = Vector512.ConditionalSelect(Vector512.Equals(exp, Vector512<uint>.Zero), sub.AsUInt32(), normal);
        return (bits | sign).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> HalfBitsToSingle(Vector256<uint> h)
    {
        Vector256<uint> sign = Vector256.ShiftLeft(h & Vector256.Create(0x8000u), 16);
        Vector256<uint> o = Vector256.ShiftLeft(h & Vector256.Create(0x7FFFu), 13);
        Vector256<uint> exp = o & Vector256.Create(HalfExpMaskShifted);
        o += Vector256.Create(ExpRebias);
        Vector256<uint> normal = o + (Vector256.Equals(exp, Vector256.Create(HalfExpMaskShifted)) & Vector256.Create(ExpRebias));
        Vector256<float> sub = (o + Vector256.Create(1u << 23)).AsSingle() - Vector256.Create(SubnormalMagic).AsSingle();
        Vector256<uint> bits = Vector256.ConditionalSelect(Vector256.Equals(exp, Vector256<uint>.Zero), sub.AsUInt32(), normal);
        return (bits | sign).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeQ8(byte* block, int blocks, float* dst, GemmPath path)
    {
        for (int b = 0; b < blocks; b++, block += WeightLayout.Q8BlockBytes, dst += WeightLayout.Q8BlockValues)
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
