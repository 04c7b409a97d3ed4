using PromptCache.Runtime.Caching.Keys;
using PromptCache.Runtime.Inference;

namespace PromptCache.Engine.Caching;

/// <summary>
/// Cache keys of a schema's module segments: model identity + tokenizer identity + schema content
/// hash + module path + scaffold variant + K/V dtype (+ tenant salt).
/// </summary>
internal sealed class ModuleKeys(string modelIdentity, string tokenizerIdentity, KvDataType dataType, string? tenantSalt)
{
    // Bump when the precompute algorithm changes what bytes a module gets.
    private const string Variant = "scaffold-path/v1";

    /// <summary>The key of <paramref name="owner"/> ("" for the schema root) of a schema whose content hash is given.</summary>
    /// <param name="schemaHash">The schema's content hash.</param>
    /// <param name="owner">The module path, or "" for the root.</param>
    /// <param name="preambleLength">Positions before the schema: a different preamble moves every position.</param>
    public KvCacheKey For(string schemaHash, string owner, int preambleLength) =>
        new KvModuleKeyParts(modelIdentity, tokenizerIdentity, schemaHash, owner.Length == 0 ? "<root>" : owner,
            Variant + "+preamble" + preambleLength, KvSegmentBytes.ElementType(dataType), tenantSalt).ToKey();
}
