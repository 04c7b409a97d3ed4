using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace PromptCache.Runtime.Caching.Persistence;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of every cache file.
/// Chosen over SHA-256 because the file only has to catch accidental damage (torn writes, bit rot,
/// truncation), not an adversary, and the SSE4.2 / ARMv8 CRC instructions run it at memory speed
/// (see Caching/README.md for the measured numbers). A table-driven slice-by-8 path covers CPUs
/// without the instruction.
/// <para>
/// The CRC instruction has a latency of three cycles but a throughput of one per cycle, so one
/// dependency chain uses a third of the unit. Long inputs are therefore cut into stripes of three
/// lanes computed side by side and joined with the linearity of CRCs:
/// crc(s, A‖B) = shift<sub>|B|</sub>(crc(s, A)) ⊕ crc(0, B), where the shift (the effect of |B|
/// zero bytes on the register) is a 32-bit linear map evaluated with four 256-entry tables.
/// </para>
/// </summary>
public static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u;

    // One lane of a stripe; three lanes are processed at once.
    private const int LaneBytes = 4096;

    // Slice-by-8 tables: Table[k][b] is the CRC of byte b followed by k zero bytes.
    private static readonly uint[][] Tables = BuildTables();

    // shift_LaneBytes as four byte tables (built on first use of a hardware path).
    private static uint[]? s_laneShift;

    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>
    /// Extends a running CRC-32C (the value a previous <see cref="Compute"/> or <see cref="Append"/>
    /// returned; 0 to start) with <paramref name="data"/>.
    /// </summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint state = ~crc;
        if (Sse42.X64.IsSupported)
        {
            state = AppendSse42(state, data);
        }
        else if (Crc32.Arm64.IsSupported)
        {
            state = AppendArm(state, data);
        }
        else
        {
            state = AppendScalar(state, data);
        }

        return ~state;
    }

    /// <summary>The table-driven path, exposed so tests can check it against the hardware path.</summary>
    internal static uint ComputeScalar(ReadOnlySpan<byte> data) => ~AppendScalar(~0u, data);

    private static uint AppendSse42(uint state, ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        int offset = 0;
        if (data.Length >= 3 * LaneBytes)
        {
            uint[] shift = LaneShift();
            while (data.Length - offset >= 3 * LaneBytes)
            {
                ulong a = state, b = 0, c = 0;
                for (int i = 0; i < LaneBytes; i += 8)
                {
                    a = Sse42.X64.Crc32(a, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset + i)));
                    b = Sse42.X64.Crc32(b, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset + LaneBytes + i)));
                    c = Sse42.X64.Crc32(c, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset + (2 * LaneBytes) + i)));
                }

                state = Shift(shift, Shift(shift, (uint)a) ^ (uint)b) ^ (uint)c;
                offset += 3 * LaneBytes;
            }
        }

        return AppendSse42Serial(state, data[offset..]);
    }

    private static uint AppendSse42Serial(uint state, ReadOnlySpan<byte> data)
    {
        ulong wide = state;
        while (data.Length >= 8)
        {
            wide = Sse42.X64.Crc32(wide, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        state = (uint)wide;
        foreach (byte b in data)
        {
            state = Sse42.Crc32(state, b);
        }

        return state;
    }

    private static uint AppendArm(uint state, ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        int offset = 0;
        if (data.Length >= 3 * LaneBytes)
        {
            uint[] shift = LaneShift();
            while (data.Length - offset >= 3 * LaneBytes)
            {
                uint a = state, b = 0, c = 0;
                for (int i = 0; i < LaneBytes; i += 8)
                {
                    a = Crc32.Arm64.ComputeCrc32C(a, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset + i)));
                    b = Crc32.Arm64.ComputeCrc32C(b, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset + LaneBytes + i)));
                    c = Crc32.Arm64.ComputeCrc32C(c, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset + (2 * LaneBytes) + i)));
                }

                state = Shift(shift, Shift(shift, a) ^ b) ^ c;
                offset += 3 * LaneBytes;
            }
        }

        return AppendArmSerial(state, data[offset..]);
    }

    private static uint AppendArmSerial(uint state, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            state = Crc32.Arm64.ComputeCrc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (byte b in data)
        {
            state = Crc32.ComputeCrc32C(state, b);
        }

        return state;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Shift(uint[] table, uint register) =>
        table[register & 0xFF] ^ table[256 + ((register >> 8) & 0xFF)] ^ table[512 + ((register >> 16) & 0xFF)] ^ table[768 + (register >> 24)];

    /// <summary>shift_LaneBytes(x) = XOR of table[256k + byte k of x]: the register after LaneBytes zero bytes.</summary>
    private static uint[] LaneShift()
    {
        if (s_laneShift is { } built)
        {
            return built;
        }

        byte[] zeros = new byte[LaneBytes];
        uint[] table = new uint[4 * 256];
        for (int k = 0; k < 4; k++)
        {
            for (uint v = 0; v < 256; v++)
            {
                uint register = v << (8 * k);
                table[(256 * k) + (int)v] = Sse42.X64.IsSupported ? AppendSse42Serial(register, zeros) : AppendArmSerial(register, zeros);
            }
        }

        // Benign race: every thread builds the same table.
        s_laneShift = table;
        return table;
    }

    private static uint AppendScalar(uint state, ReadOnlySpan<byte> data)
    {
        uint[] t0 = Tables[0], t1 = Tables[1], t2 = Tables[2], t3 = Tables[3];
        uint[] t4 = Tables[4], t5 = Tables[5], t6 = Tables[6], t7 = Tables[7];
        while (data.Length >= 8)
        {
            uint low = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ state;
            uint high = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            state = t7[low & 0xFF] ^ t6[(low >> 8) & 0xFF] ^ t5[(low >> 16) & 0xFF] ^ t4[low >> 24]
                  ^ t3[high & 0xFF] ^ t2[(high >> 8) & 0xFF] ^ t1[(high >> 16) & 0xFF] ^ t0[high >> 24];
            data = data[8..];
        }

        foreach (byte b in data)
        {
            state = t0[(state ^ b) & 0xFF] ^ (state >> 8);
        }

        return state;
    }

    private static uint[][] BuildTables()
    {
        var tables = new uint[8][];
        for (int k = 0; k < 8; k++)
        {
            tables[k] = new uint[256];
        }

        for (uint b = 0; b < 256; b++)
        {
            uint crc = b;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ Polynomial : crc >> 1;
            }

            tables[0][b] = crc;
        }

        for (int k = 1; k < 8; k++)
        {
            for (int b = 0; b < 256; b++)
            {
                uint previous = tables[k - 1][b];
                tables[k][b] = tables[0][previous & 0xFF] ^ (previous >> 8);
            }
        }

        return tables;
    }
}
