using PromptCache.Runtime.Caching.Entries;

namespace PromptCache.Runtime.Caching.Keys;

/// <summary>
/// Everything that determines the K/V bytes of one precomputed prompt module. Change any field and
/// the key changes, so a cache directory can never serve K/V computed for a different model,
/// tokenizer, schema revision, scaffold path, dtype or tenant.
/// </summary>
/// <param name="ModelIdentity">Identifies the weights (see <see cref="KvModelIdentity"/> for a cheap file fingerprint).</param>
/// <param name="TokenizerIdentity">Identifies the tokenizer (e.g. a hash of tokenizer.json, or "gguf-embedded").</param>
/// <param name="SchemaContentHash">Hash of the schema's source text (after whatever normalisation the binder applies).</param>
/// <param name="ModulePath">The module's path inside the schema, e.g. "travel-plan/domestic".</param>
/// <param name="ScaffoldVariant">Which scaffold path the module was encoded under ("" for the default path).</param>
/// <param name="ElementType">K/V element type.</param>
/// <param name="TenantSalt">Optional namespace; entries of different tenants never share a key. Null means the shared namespace.</param>
public sealed record KvModuleKeyParts(
    string ModelIdentity,
    string TokenizerIdentity,
    string SchemaContentHash,
    string ModulePath,
    string ScaffoldVariant,
    KvElementType ElementType,
    string? TenantSalt = null)
{
    /// <summary>The SHA-256 key of these parts (domain-separated from session keys).</summary>
    public KvCacheKey ToKey()
    {
        using var hasher = new KvKeyHasher("PromptCache.KvCacheKey.Module/v1");
        return hasher
            .Add(1, ModelIdentity)
            .Add(2, TokenizerIdentity)
            .Add(3, SchemaContentHash)
            .Add(4, ModulePath)
            .Add(5, ScaffoldVariant)
            .Add(6, ElementType.ToString())
            .Add(7, TenantSalt)
            .Finish();
    }
}

/// <summary>
/// Everything that scopes one conversation's K/V: the model and tokenizer it was computed with, its
/// dtype, the tenant, and the caller's session id.
/// </summary>
/// <param name="ModelIdentity">Identifies the weights.</param>
/// <param name="TokenizerIdentity">Identifies the tokenizer.</param>
/// <param name="ElementType">K/V element type.</param>
/// <param name="SessionId">The caller's conversation id.</param>
/// <param name="TenantSalt">Optional tenant namespace.</param>
public sealed record KvSessionKeyParts(
    string ModelIdentity,
    string TokenizerIdentity,
    KvElementType ElementType,
    string SessionId,
    string? TenantSalt = null)
{
    /// <summary>The SHA-256 key of these parts (domain-separated from module keys).</summary>
    public KvCacheKey ToKey()
    {
        using var hasher = new KvKeyHasher("PromptCache.KvCacheKey.Session/v1");
        return hasher
            .Add(1, ModelIdentity)
            .Add(2, TokenizerIdentity)
            .Add(6, ElementType.ToString())
            .Add(8, SessionId)
            .Add(7, TenantSalt)
            .Finish();
    }
}
