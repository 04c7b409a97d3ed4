namespace PromptCache.Engine;

/// <summary>
/// A schema that cannot be bound to the model, or a request that cannot run against its schema. The
/// message names the schema, the module or parameter, and the numbers involved.
/// </summary>
public sealed class PromptCacheException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PromptCacheException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    public PromptCacheException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public PromptCacheException()
    {
    }
}
