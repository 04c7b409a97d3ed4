namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>Byte sizes of weight rows per <see cref="WeightType"/>, shared by every kernel.</summary>
internal static class WeightLayout
{
    /// <summary>Values per Q8_0 block.</summary>
    public const int Q8BlockValues = 32;

    /// <summary>Bytes per Q8_0 block: an fp16 scale then 32 signed bytes.</summary>
    public const int Q8BlockBytes = 2 + Q8BlockValues;

    /// <summary>Bytes occupied by one row of <paramref name="k"/> values.</summary>
    public static long RowBytes(WeightType type, int k) => type switch
    {
        WeightType.F32 => 4L * k,
        WeightType.F16 or WeightType.BF16 => 2L * k,
        WeightType.Q8_0 => (long)(k / Q8BlockValues) * Q8BlockBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown weight type."),
    };
}
