using System.Buffers.Binary;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace PromptCache.Runtime.Caching.Persistence;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of every cache file.
/// Chosen over SHA-256 because the file only has to catch accidental damage (torn writes, bit rot,
/// truncation), not an adversary, and the SSE4.2 / ARMv8 CRC instructions run it at memory speed
/// (see Caching/README.md for the measured numbers). A table-driven slice-by-8 path covers CPUs
/// without the instruction.
/// </summary>
public static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u;

    // Slice-by-8 tables: Table[k][b] is the CRC of byte b followed by k zero bytes.
    private static readonly uint[][] Tables = BuildTables();

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
