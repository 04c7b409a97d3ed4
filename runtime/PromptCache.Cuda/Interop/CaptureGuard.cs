namespace PromptCache.Cuda.Interop;

/// <summary>
/// Keeps frees away from CUDA graph recordings. A driver call that synchronises the device (cuMemFree,
/// cuMemFreeHost, cuModuleUnload, cuStreamDestroy) made on any thread while a stream of the same context
/// is being recorded invalidates that recording (CUDA_ERROR_STREAM_CAPTURE_INVALIDATED), and the recorded
/// work is lost. The backends' own frees happen outside their recordings, and DeviceGate keeps backends
/// on one GPU apart; what is left is the finalizer thread. While a recording of a context is open, its
/// frees are queued, and run when its last recording ends.
/// </summary>
internal static class CaptureGuard
{
    private static readonly object Gate = new();
    private static readonly Dictionary<IntPtr, (int Open, List<Action> Deferred)> Contexts = new();

    /// <summary>Recordings open on <paramref name="context"/>.</summary>
    public static int Open(IntPtr context)
    {
        lock (Gate) return Contexts.TryGetValue(context, out var c) ? c.Open : 0;
    }

    /// <summary>A recording of a stream of <paramref name="context"/> starts; waits for a free in progress on another thread.</summary>
    public static void Enter(IntPtr context)
    {
        lock (Gate)
        {
            var c = Contexts.TryGetValue(context, out var existing) ? existing : (Open: 0, Deferred: new List<Action>());
            Contexts[context] = (c.Open + 1, c.Deferred);
        }
    }

    /// <summary>A recording ended: with none left on <paramref name="context"/>, runs the frees queued meanwhile.</summary>
    public static void Exit(IntPtr context)
    {
        Action[] run;
        lock (Gate)
        {
            var c = Contexts[context];
            if (c.Open > 1)
            {
                Contexts[context] = (c.Open - 1, c.Deferred);
                return;
            }
            Contexts.Remove(context);
            run = c.Deferred.ToArray();
        }
        foreach (var release in run) release();
    }

    /// <summary>Runs <paramref name="release"/> now, or queues it while a recording of <paramref name="context"/> is open.</summary>
    public static void Release(IntPtr context, Action release)
    {
        lock (Gate)
        {
            if (Contexts.TryGetValue(context, out var c))
            {
                c.Deferred.Add(release);
                return;
            }
            // Under the lock: a recording cannot start on another thread while the device synchronises.
            release();
        }
    }
}
