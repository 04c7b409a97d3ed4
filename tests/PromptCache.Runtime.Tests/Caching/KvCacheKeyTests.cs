using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Keys;

namespace PromptCache.Runtime.Tests.Caching;

public sealed class KvCacheKeyTests
{
    private static readonly KvModuleKeyParts Baseline = new("model", "tokenizer", "schema", "module", "", KvElementType.F16);

    [Fact]
    public void SameParts_GiveTheSameKey_AndAGoldenValueAcrossProcesses()
    {
        Assert.Equal(Baseline.ToKey(), (Baseline with { }).ToKey());

        // Pinned: a change here silently orphans every cache directory in the field.
        Assert.Equal(GoldenBaselineHex, Baseline.ToKey().ToString());
    }

    [Fact]
    public void EveryPart_ChangesTheKey()
    {
        var variants = new[]
        {
            Baseline with { ModelIdentity = "model2" },
            Baseline with { TokenizerIdentity = "tokenizer2" },
            Baseline with { SchemaContentHash = "schema2" },
            Baseline with { ModulePath = "module2" },
            Baseline with { ScaffoldVariant = "union:b" },
            Baseline with { ElementType = KvElementType.BF16 },
            Baseline with { TenantSalt = "tenant-a" },
            Baseline with { TenantSalt = "" },
        };
        var keys = variants.Select(v => v.ToKey()).Append(Baseline.ToKey()).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
    }

    [Fact]
    public void FieldBoundaries_AreUnambiguous()
    {
        var a = Baseline with { ModulePath = "ab", ScaffoldVariant = "c" };
        var b = Baseline with { ModulePath = "a", ScaffoldVariant = "bc" };
        Assert.NotEqual(a.ToKey(), b.ToKey());
    }

    [Fact]
    public void SessionAndModuleKeys_AreDomainSeparated()
    {
        var session = new KvSessionKeyParts("model", "tokenizer", KvElementType.F16, "module").ToKey();
        Assert.NotEqual(Baseline.ToKey(), session);
    }

    [Fact]
    public void Hex_RoundTrips_AndIsAFileName()
    {
        var key = Baseline.ToKey();
        string hex = key.ToString();
        Assert.Equal(64, hex.Length);
        Assert.All(hex, c => Assert.True(char.IsAsciiHexDigitLower(c) || char.IsAsciiDigit(c)));
        Assert.True(KvCacheKey.TryParse(hex, out var parsed));
        Assert.Equal(key, parsed);
        Assert.False(KvCacheKey.TryParse("xyz", out _));
        Assert.False(KvCacheKey.TryParse(new string('g', 64), out _));
    }

    [Fact]
    public void ModelIdentity_FingerprintsFileContent()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "w.bin");
        File.WriteAllBytes(path, TestBlobs.Payload(1, 3 << 20));
        string first = KvModelIdentity.FromFiles([path]);
        Assert.Equal(first, KvModelIdentity.FromFiles([path]));

        byte[] changed = TestBlobs.Payload(1, 3 << 20);
        changed[^1] ^= 1; // Inside the last window.
        File.WriteAllBytes(path, changed);
        Assert.NotEqual(first, KvModelIdentity.FromFiles([path]));
        Assert.Throws<FileNotFoundException>(() => KvModelIdentity.FromFiles([Path.Combine(dir.Path, "missing.bin")]));
    }

    // Also reproduced independently by a 10-line Python script (hashlib) from the scheme in Caching/README.md.
    private const string GoldenBaselineHex = "57e29c7a4e35cbeea085a437fc7485de7b30c0b1cd93841bf66dde32721b8372";
}
