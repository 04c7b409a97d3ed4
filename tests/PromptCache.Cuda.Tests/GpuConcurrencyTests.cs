using PromptCache.Cuda.Backend;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cuda.Tests;

/// <summary>
/// On a GPU: two backends on the same device from two threads (they share its primary context). One
/// records its forwards as CUDA graphs while the other is created, runs and is freed, and abandoned
/// segments are finalized meanwhile: a free on another thread must not invalidate the recording.
/// </summary>
[Collection(CudaDeviceCollection.Name)]
public sealed class GpuConcurrencyTests
{
    [CudaFact]
    public void Graph_recordings_survive_another_backend_allocating_and_freeing_on_the_same_gpu()
    {
        string folder = GpuParityTests.FixtureFolder("llama");
        var (ids, positions, expected) = GpuParityTests.PlainPrompt(folder);

        using var recorder = new CudaBackend();
        using var model = LlamaModel.Load(folder, recorder);
        var churn = Task.Run(() =>
        {
            for (int i = 0; i < 4; i++)
            {
                using var other = new CudaBackend();
                using var otherModel = LlamaModel.Load(folder, other);
                otherModel.Forward(ids, positions, [], null, LogitsMode.All);
                GC.Collect(); // finalizes the recorder's abandoned segments below
            }
        });
        int forwards = 0;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!churn.IsCompleted && DateTime.UtcNow < deadline)
        {
            model.Prefill(ids, positions, dataType: KvDataType.BF16); // abandoned: its device copy is freed by a finalizer
            var result = model.Forward(ids, positions, [], null, LogitsMode.All);
            GpuParityTests.AssertClose(expected, result.Logits, model.Config.VocabSize, $"forward {forwards} beside the other backend");
            forwards++;
        }
        churn.GetAwaiter().GetResult(); // rethrows the other thread's failure
        Assert.True(recorder.GraphStats.Launched > 0, "the recorder should have used CUDA graphs");
        Assert.True(forwards > 0);
    }
}
