using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Persistence;
using PromptCache.Runtime.Caching.Sessions;
using PromptCache.Runtime.Caching.Store;

namespace PromptCache.Runtime.Tests.Caching;

public sealed class KvSessionStoreTests
{
    private static KvEntryMetadata Turn(int tokens) => KvEntryMetadata.ForSession(KvElementType.F16, layerCount: 4, kvHeads: 2, headDim: 8, tokens, "chat");

    [Fact]
    public async Task Turns_ReplaceEachOther_SpillUnderPressure_AndReloadNextTurn()
    {
        using var dir = new TempDirectory();
        await using var store = TestBlobs.Open(dir.Path, memoryBudget: Turn(32).PayloadBytes);
        var sessions = new KvSessionStore(store, "model", "tok", KvElementType.F16);

        await sessions.SaveAsync("alice", TestBlobs.Make(1, Turn(16)));
        await sessions.SaveAsync("alice", TestBlobs.Make(2, Turn(24))); // Turn 2 replaces turn 1.
        await sessions.SaveAsync("bob", TestBlobs.Make(3, Turn(32)));  // Memory pressure: alice goes to disk.
        await store.FlushAsync();
        Assert.Equal(KvTier.Disk, store.Locate(sessions.KeyFor("alice")));

        using var alice = await sessions.TryLoadAsync("alice");
        Assert.NotNull(alice);
        Assert.Equal(KvTier.Disk, alice.ServedFrom);
        Assert.Equal(24, alice.Metadata.TokenCount);
        Assert.False(alice.Metadata.RopeApplied);
        TestBlobs.AssertPayload(alice, 2);
        Assert.Null(await sessions.TryLoadAsync("carol"));
    }

    [Fact]
    public async Task LayerwiseLoad_HandsOutVerifiedLayersInOrder()
    {
        using var dir = new TempDirectory();
        await using (var writer = TestBlobs.Open(dir.Path))
        {
            var sessions = new KvSessionStore(writer, "model", "tok", KvElementType.F16) { Persist = KvPersistMode.Durable };
            await sessions.SaveAsync("alice", TestBlobs.Make(7, Turn(64)));
        }

        await using var store = TestBlobs.Open(dir.Path);
        var reopened = new KvSessionStore(store, "model", "tok", KvElementType.F16);
        using var load = reopened.BeginLayerwiseLoad("alice");
        Assert.NotNull(load);
        Assert.Equal(KvTier.Disk, load.Source);
        byte[] expected = TestBlobs.Payload(7, load.Metadata.PayloadBytes);
        for (int layer = 0; layer < load.Metadata.LayerCount; layer++)
        {
            Assert.True(await load.WaitForLayerAsync(layer));
            Assert.True(load.GetLayer(layer).SequenceEqual(expected.AsSpan((int)load.Metadata.LayerOffset(layer), (int)load.Metadata.LayerBytes)));
        }

        Assert.True(await load.Completion);
        Assert.Equal(KvTier.Memory, store.Locate(reopened.KeyFor("alice")));
        using var second = reopened.BeginLayerwiseLoad("alice");
        Assert.Equal(KvTier.Memory, second!.Source);
        Assert.True(second.IsLayerReady(3));
    }

    [Fact]
    public async Task LayerwiseLoad_StopsAtACorruptLayer_AndNeverHandsItOut()
    {
        using var dir = new TempDirectory();
        var metadata = Turn(64);
        await using (var writer = TestBlobs.Open(dir.Path))
        {
            var sessions = new KvSessionStore(writer, "model", "tok", KvElementType.F16) { Persist = KvPersistMode.Durable };
            await sessions.SaveAsync("alice", TestBlobs.Make(7, metadata));
        }

        string file = Assert.Single(dir.CacheFiles());
        byte[] bytes = File.ReadAllBytes(file);
        bytes[KvFileFormat.HeaderLength(metadata) + (2 * (int)metadata.LayerBytes) + 3] ^= 0xFF; // Layer 2.
        File.WriteAllBytes(file, bytes);

        var notices = new List<KvCacheNotice>();
        await using var store = TestBlobs.Open(dir.Path, notices: notices);
        var reopened = new KvSessionStore(store, "model", "tok", KvElementType.F16);
        using var load = reopened.BeginLayerwiseLoad("alice");
        Assert.True(await load!.WaitForLayerAsync(0));
        Assert.True(await load.WaitForLayerAsync(1));
        Assert.False(await load.WaitForLayerAsync(2));
        Assert.False(await load.WaitForLayerAsync(3));
        Assert.False(await load.Completion);
        Assert.Equal(KvFileProblem.PayloadChecksum, load.Problem);
        Assert.Throws<InvalidOperationException>(() => load.GetLayer(2).Length);
        Assert.Equal(KvNoticeKind.CorruptFile, Assert.Single(notices).Kind);
        Assert.Equal(KvTier.None, store.Locate(reopened.KeyFor("alice")));
    }

    [Fact]
    public async Task Sessions_AreScopedByModelAndTenant_AndMustBePreRope()
    {
        await using var store = TestBlobs.Open(null);
        var a = new KvSessionStore(store, "model", "tok", KvElementType.F16, tenantSalt: "a");
        var b = new KvSessionStore(store, "model", "tok", KvElementType.F16, tenantSalt: "b");
        await a.SaveAsync("s1", TestBlobs.Make(1, Turn(8)));
        Assert.Null(await b.TryLoadAsync("s1"));
        Assert.NotEqual(a.KeyFor("s1"), b.KeyFor("s1"));

        var roped = TestBlobs.Make(1, KvEntryMetadata.ForModule(KvElementType.F16, 4, 2, 8, 0, 8));
        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await a.SaveAsync("s1", roped));
        Assert.Contains("before RoPE", error.Message);
        await Assert.ThrowsAsync<ArgumentException>(async () => await a.SaveAsync("s1", TestBlobs.Make(1, KvEntryMetadata.ForSession(KvElementType.BF16, 4, 2, 8, 8))));
    }
}
