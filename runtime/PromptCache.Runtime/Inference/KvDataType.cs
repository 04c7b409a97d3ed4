namespace PromptCache.Runtime.Inference;

/// <summary>The element type K/V is stored in.</summary>
public enum KvDataType
{
    /// <summary>4 bytes per value; exact.</summary>
    F32,

    /// <summary>2 bytes per value, IEEE half.</summary>
    F16,

    /// <summary>2 bytes per value, bfloat16.</summary>
    BF16,
}
