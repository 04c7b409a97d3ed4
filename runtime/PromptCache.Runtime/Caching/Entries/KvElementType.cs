namespace PromptCache.Runtime.Caching.Entries;

/// <summary>The element type of cached K/V (the store keeps bytes; the type fixes their size and the key).</summary>
public enum KvElementType : byte
{
    /// <summary>IEEE 754 binary32.</summary>
    F32 = 1,

    /// <summary>IEEE 754 binary16.</summary>
    F16 = 2,

    /// <summary>bfloat16.</summary>
    BF16 = 3,
}

/// <summary>Sizes of <see cref="KvElementType"/> values.</summary>
public static class KvElementTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An undefined element type.</exception>
    public static int SizeInBytes(this KvElementType type) => type switch
    {
        KvElementType.F32 => 4,
        KvElementType.F16 => 2,
        KvElementType.BF16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown K/V element type."),
    };
}
