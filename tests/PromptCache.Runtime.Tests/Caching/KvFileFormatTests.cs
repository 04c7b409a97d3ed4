using System.Buffers.Binary;
using PromptCache.Runtime.Caching.Entries;
using PromptCache.Runtime.Caching.Persistence;
using PromptCache.Runtime.Caching.Store;

namespace PromptCache.Runtime.Tests.Caching;

public sealed class KvFileFormatTests
{
    [Fact]
    public async Task DurablePut_WritesOneVerifiedFile_ThatRoundTrips()
    {
        using var dir = new TempDirectory();
        var key = TestBlobs.Key("m");
        await using (var store = TestBlobs.Open(dir.Path))
        {
            var result = await store.PutAsync(key, TestBlobs.Make(1));
            Assert.Equal(new KvPutResult(KvPutOutcome.Stored, Persisted: true), result);
        }

        string file = Assert.Single(dir.CacheFiles());
        Assert.Equal(KvFileFormat.FileName(key), Path.GetFileName(file));
        var metadata = TestBlobs.Module();
        Assert.Equal(metadata.PayloadBytes + KvFileFormat.OverheadBytes(metadata), new FileInfo(file).Length);

        Assert.Equal(KvFileProblem.None, KvFileReader.TryOpen(file, key, out var reader, out _));
        using (reader)
        {
            Assert.Equal(KvEntryKind.Module, reader!.Header.Metadata.Kind);
            Assert.Equal(new KvPositionRun(10, 16), Assert.Single(reader.Header.Metadata.Positions));
            Assert.Equal("test/module", reader.Header.Metadata.Label);
            Assert.Equal(0, reader.Header.HeaderLength % KvFileFormat.HeaderAlignment);
            byte[] expected = TestBlobs.Payload(1, metadata.PayloadBytes);
            byte[] layer = new byte[metadata.LayerBytes];
            for (int l = 0; l < metadata.LayerCount; l++)
            {
                Assert.Equal(KvFileProblem.None, reader.ReadLayer(l, layer, default, out _));
                Assert.True(layer.AsSpan().SequenceEqual(expected.AsSpan((int)metadata.LayerOffset(l), (int)metadata.LayerBytes)));
            }
        }
    }

    [Fact]
    public async Task InterruptedWrite_LeavesNoVisibleEntry_AndIsCleanedAtStart()
    {
        using var dir = new TempDirectory();
        var key = TestBlobs.Key("m");

        // Simulate a crash after the temp file was written but before the rename: a complete,
        // valid file under the temp name must still not count as an entry.
        string temp = Path.Combine(dir.Path, $"{key}.{Guid.NewGuid():N}{KvFileFormat.TempExtension}");
        KvFileWriter.WriteTemp(temp, key, TestBlobs.Make(1), default);
        File.WriteAllBytes(Path.Combine(dir.Path, $"{TestBlobs.Key("n")}.deadbeef{KvFileFormat.TempExtension}"), [1, 2, 3]);

        var notices = new List<KvCacheNotice>();
        await using var store = TestBlobs.Open(dir.Path, notices: notices);
        Assert.Equal(KvTier.None, store.Locate(key));
        Assert.Null(await store.TryGetAsync(key));
        Assert.Empty(Directory.GetFiles(dir.Path));
        Assert.Equal(2, store.GetCounters().StaleTempFilesRemoved);
        Assert.Equal(2, notices.Count(n => n.Kind == KvNoticeKind.StaleTempFileRemoved));
    }

    public static TheoryData<string> Damages() => ["flip-payload", "flip-header", "flip-trailer", "truncate", "append", "wrong-key", "wrong-version", "bad-magic", "empty"];

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task DamagedFile_FoundOnRead_IsAMiss_ReportedAndRemoved(string damage)
    {
        using var dir = new TempDirectory();
        var key = TestBlobs.Key("m");
        await using (var writer = TestBlobs.Open(dir.Path))
        {
            await writer.PutAsync(key, TestBlobs.Make(1));
        }

        string file = Assert.Single(dir.CacheFiles());
        var notices = new List<KvCacheNotice>();

        // Open first: payload damage is caught on read, header damage already by the start-up scan.
        await using var store = TestBlobs.Open(dir.Path, notices: notices);
        Damage(file, damage, dir.Path);

        var lease = await store.TryGetAsync(key);
        Assert.Null(lease);
        var counters = store.GetCounters();
        Assert.Equal(1, counters.CorruptFilesDetected);
        Assert.Equal(0, counters.DiskHits);
        Assert.Equal(1, counters.Misses);
        var notice = Assert.Single(notices);
        Assert.Equal(KvNoticeKind.CorruptFile, notice.Kind);
        Assert.Contains(Path.GetFileName(file), notice.Message);
        Assert.Empty(dir.CacheFiles());
        Assert.Equal(KvTier.None, store.Locate(key));
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task DamagedHeader_FoundAtStart_IsNeverListed(string damage)
    {
        if (damage is "flip-payload" or "flip-trailer")
        {
            return; // Payload and trailer are verified on read, covered above; the scan reads headers only.
        }

        using var dir = new TempDirectory();
        var key = TestBlobs.Key("m");
        await using (var writer = TestBlobs.Open(dir.Path))
        {
            await writer.PutAsync(key, TestBlobs.Make(1));
        }

        Damage(Assert.Single(dir.CacheFiles()), damage, dir.Path);
        var notices = new List<KvCacheNotice>();
        await using var store = TestBlobs.Open(dir.Path, notices: notices);
        Assert.Equal(KvTier.None, store.Locate(key));
        Assert.Equal(1, store.GetCounters().CorruptFilesDetected);
        Assert.Equal(KvNoticeKind.CorruptFile, Assert.Single(notices).Kind);
        Assert.Empty(dir.CacheFiles());
    }

    [Fact]
    public async Task CorruptFile_IsRecomputed_WhenQuarantined()
    {
        using var dir = new TempDirectory();
        var key = TestBlobs.Key("m");
        await using (var writer = TestBlobs.Open(dir.Path))
        {
            await writer.PutAsync(key, TestBlobs.Make(1));
        }

        Damage(Assert.Single(dir.CacheFiles()), "flip-payload", dir.Path);
        await using var store = KvCacheStore.Open(new KvCacheStoreOptions { DiskDirectory = dir.Path, QuarantineCorruptFiles = true });
        int computed = 0;
        using var lease = await store.GetOrAddAsync(key, _ =>
        {
            computed++;
            return ValueTask.FromResult<IKvBlob>(TestBlobs.Make(1));
        });
        Assert.Equal(1, computed);
        TestBlobs.AssertPayload(lease, 1);
        Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, "quarantine")));
        await store.FlushAsync();
        Assert.Single(dir.CacheFiles()); // The recomputed entry was persisted again.
    }

    private static void Damage(string file, string damage, string directory)
    {
        byte[] bytes = File.ReadAllBytes(file);
        var metadata = TestBlobs.Module();
        int header = KvFileFormat.HeaderLength(metadata);
        switch (damage)
        {
            case "flip-payload":
                bytes[header + (int)metadata.LayerBytes + 5] ^= 0x40;
                break;
            case "flip-header":
                bytes[60] ^= 0x01; // head dim
                break;
            case "flip-trailer":
                bytes[^14] ^= 0x01;
                break;
            case "truncate":
                Array.Resize(ref bytes, bytes.Length - 100);
                break;
            case "append":
                Array.Resize(ref bytes, bytes.Length + 1);
                break;
            case "wrong-key":
                // A valid file of another key under this key's name (e.g. copied by hand).
                string other = Path.Combine(directory, "other.tmpfile");
                KvFileWriter.WriteTemp(other, TestBlobs.Key("other"), TestBlobs.Make(1), default);
                bytes = File.ReadAllBytes(other);
                File.Delete(other);
                break;
            case "wrong-version":
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), KvFileFormat.Version + 1);
                break;
            case "bad-magic":
                bytes[0] = (byte)'X';
                break;
            case "empty":
                bytes = [];
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(damage));
        }

        File.WriteAllBytes(file, bytes);
    }
}
