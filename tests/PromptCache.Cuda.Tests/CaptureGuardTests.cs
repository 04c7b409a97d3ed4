using PromptCache.Cuda.Interop;

namespace PromptCache.Cuda.Tests;

/// <summary>Frees are held back while a stream of their context is being recorded into a CUDA graph (no GPU needed).</summary>
public sealed class CaptureGuardTests
{
    // Not a real context: the guard only keys on the value.
    private static readonly IntPtr Context = 0x5eed, OtherContext = 0x5eee;

    [Fact]
    public void A_release_runs_at_once_while_nothing_is_recorded_on_its_context()
    {
        int runs = 0;
        CaptureGuard.Enter(OtherContext); // another GPU's recording does not hold it back
        try
        {
            CaptureGuard.Release(Context, () => runs++);
            Assert.Equal(1, runs);
        }
        finally
        {
            CaptureGuard.Exit(OtherContext);
        }
    }

    [Fact]
    public void Releases_wait_for_the_last_open_recording_and_then_run_in_order()
    {
        var runs = new List<string>();
        CaptureGuard.Enter(Context);
        CaptureGuard.Enter(Context); // two recordings
        try
        {
            CaptureGuard.Release(Context, () => runs.Add("a"));
            CaptureGuard.Release(Context, () => runs.Add("b"));
            Assert.Empty(runs);
        }
        finally
        {
            CaptureGuard.Exit(Context);
        }
        Assert.Empty(runs); // one recording is still open
        CaptureGuard.Exit(Context);
        Assert.Equal(["a", "b"], runs);
        Assert.Equal(0, CaptureGuard.Open(Context));
    }
}
