using PromptCache.Cuda.Backend;
using PromptCache.Engine.Synthetic;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cuda.Tests;

/// <summary>
/// On a GPU: the row groups of an engine-style request (arguments that see the modules only below their own
/// positions, then the suffix) give the CPU backend's logits whether they run as one block per head reading the
/// keys once (<see cref="CudaBackendOptions.MergedGroupsShareKeys"/>), a block per group, or a launch per group.
/// </summary>
[Collection(CudaDeviceCollection.Name)]
public sealed class GpuRowGroupsTests
{
    // Head dimension 128 (the wgmma kernels' on Hopper), GQA 4/2, two layers: small enough to build in a second.
    private static readonly SyntheticShape Shape = new("rowgroups-hd128", 512, 2, 4, 2, 1024);

    // A 32-token suffix (48 rows: one warpgroup's block) and a 100-token one (116 rows: the two-warpgroup block).
    [CudaTheory]
    [InlineData(32)]
    [InlineData(100)]
    public void Row_groups_give_the_cpu_logits_with_one_pass_over_the_keys_or_a_block_per_group(int suffix)
    {
        string folder = SyntheticCheckpoint.Ensure(Shape);
        using var cpuModel = LlamaModel.Load(folder, CpuBackend.Instance);
        float[] cpu = Run(cpuModel, suffix);

        using var backend = new CudaBackend(new CudaBackendOptions { KvHostWriteBack = false });
        using var model = LlamaModel.Load(folder, backend);
        backend.SharesKeysOverride = true;
        long shared = backend.SharedKeyLaunches;
        float[] oneBlock = Run(model, suffix);
        shared = backend.SharedKeyLaunches - shared;
        backend.SharesKeysOverride = false;
        float[] blockPerGroup = Run(model, suffix);
        backend.MergeAttentionGroupsOverride = false;
        float[] launchPerGroup = Run(model, suffix);

        int vocab = model.Config.VocabSize;
        GpuParityTests.AssertClose(cpu, oneBlock, vocab, "one block per head for all groups");
        GpuParityTests.AssertClose(cpu, blockPerGroup, vocab, "a block per group");
        GpuParityTests.AssertClose(cpu, launchPerGroup, vocab, "a launch per group");
        // Two layers, one merged launch each, when the wgmma kernels run here (Hopper); none elsewhere.
        bool hopper = GpuPrefillFusionTests.IsHopper(backend);
        Assert.Equal(hopper ? Shape.LayerCount : 0, shared);
    }

    // LogitsMode.Last runs the last layer past its K/V store for the suffix's last row alone, cut from its group:
    // short suffixes (skinny GEMMs) and a 300-row one (the prefill GEMMs and attention) before the cut.
    [CudaTheory]
    [InlineData(32)]
    [InlineData(300)]
    public void The_last_layer_run_for_the_last_row_alone_gives_the_cpu_logits_of_that_row(int suffix)
    {
        string folder = SyntheticCheckpoint.Ensure(Shape);
        using var cpuModel = LlamaModel.Load(folder, CpuBackend.Instance);
        float[] cpu = Run(cpuModel, suffix);
        int vocab = cpuModel.Config.VocabSize;

        using var backend = new CudaBackend(new CudaBackendOptions { KvHostWriteBack = false });
        using var model = LlamaModel.Load(folder, backend);
        float[] last = Run(model, suffix, LogitsMode.Last);
        GpuParityTests.AssertClose(cpu[^vocab..], last, vocab, $"the last row of a {suffix}-token suffix");
    }

    // Modules at 0-99, 120-199 and 220-299; an argument at 100-107 sees the first, one at 210-217 the first two,
    // the suffix from 300 on all three: three row groups of 8, 8 and `suffix` rows.
    private static float[] Run(LlamaModel model, int suffix, LogitsMode logits = LogitsMode.All)
    {
        var rng = new Random(5);
        int vocab = model.Config.VocabSize;
        int[] Ids(int n) => Enumerable.Range(0, n).Select(_ => rng.Next(vocab)).ToArray();
        static int[] Range(int start, int n) => Enumerable.Range(start, n).ToArray();
        int[] idsA = Ids(100), idsB = Ids(80), idsC = Ids(80), query = Ids(16 + suffix);
        using var a = model.Prefill(idsA, Range(0, 100));
        using var b = model.Prefill(idsB, Range(120, 80), [a]);
        using var c = model.Prefill(idsC, Range(220, 80), [a, b]);
        return model.Forward(query, [.. Range(100, 8), .. Range(210, 8), .. Range(300, suffix)], [a, b, c], null, logits,
            ContextVisibility.BelowQueryPosition).Logits;
    }
}
