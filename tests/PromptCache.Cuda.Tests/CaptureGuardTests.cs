using PromptCache.Cuda.Interop;

namespace PromptCache.Cuda.Tests;

/// <summary>Frees are held back while a CUDA graph is being recorded anywhere in the process (no GPU needed).</summary>
[Collection(CudaDeviceCollection.Name)]
public sealed class CaptureGuardTests
{
    [Fact]
    public void A_release_runs_at_once_while_nothing_is_recorded()
    {
        int runs = 0;
        CaptureGuard.Release(() => runs++);
        Assert.Equal(1, runs);
    }

    [Fact]
    public void Releases_wait_for_the_last_open_recording_and_then_run_in_order()
    {
        var runs = new List<string>();
        CaptureGuard.Enter();
        CaptureGuard.Enter(); // two backends recording
        try
        {
            CaptureGuard.Release(() => runs.Add("a"));
            CaptureGuard.Release(() => runs.Add("b"));
            Assert.Empty(runs);
        }
        finally
        {
            CaptureGuard.Exit();
        }
        Assert.Empty(runs); // one recording is still open
        CaptureGuard.Exit();
        Assert.Equal(["a", "b"], runs);
        Assert.Equal(0, CaptureGuard.Open);
    }
}
