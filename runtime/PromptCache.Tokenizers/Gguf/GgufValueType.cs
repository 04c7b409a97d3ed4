namespace PromptCache.Tokenizers.Gguf
{
    /// <summary>The metadata value types of the GGUF v2/v3 format.</summary>
    public enum GgufValueType : uint
    {
        /// <summary>8-bit unsigned integer.</summary>
        UInt8 = 0,
        /// <summary>8-bit signed integer.</summary>
        Int8 = 1,
        /// <summary>16-bit unsigned integer.</summary>
        UInt16 = 2,
        /// <summary>16-bit signed integer.</summary>
        Int16 = 3,
        /// <summary>32-bit unsigned integer.</summary>
        UInt32 = 4,
        /// <summary>32-bit signed integer.</summary>
        Int32 = 5,
        /// <summary>32-bit IEEE float.</summary>
        Float32 = 6,
        /// <summary>Boolean stored as one byte.</summary>
        Bool = 7,
        /// <summary>UTF-8 string with a 64-bit length prefix.</summary>
        String = 8,
        /// <summary>Typed array with a 64-bit count.</summary>
        Array = 9,
        /// <summary>64-bit unsigned integer.</summary>
        UInt64 = 10,
        /// <summary>64-bit signed integer.</summary>
        Int64 = 11,
        /// <summary>64-bit IEEE float.</summary>
        Float64 = 12,
    }
}
