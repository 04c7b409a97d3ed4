namespace PromptCache.Cuda.Interop;

/// <summary>
/// Keeps frees away from CUDA graph recordings. A driver call that synchronises the device (cuMemFree,
/// cuMemFreeHost, cuModuleUnload, cuStreamDestroy) made on any thread of the process while a stream of
/// the same context is being recorded invalidates that recording (CUDA_ERROR_STREAM_CAPTURE_INVALIDATED),
/// and the recorded work is lost. Such frees come from other backends on the same GPU (the primary
/// context is shared) and from the finalizer thread. While a recording is open they are queued, and run
/// when the last recording ends.
/// </summary>
internal static class CaptureGuard
{
    private static readonly object Gate = new();
    private static readonly List<Action> Deferred = new();
    private static int _open;

    /// <summary>Recordings open in the process.</summary>
    public static int Open
    {
        get
        {
            lock (Gate) return _open;
        }
    }

    /// <summary>A recording starts; waits for a free in progress on another thread.</summary>
    public static void Enter()
    {
        lock (Gate) _open++;
    }

    /// <summary>A recording ended: with none left, runs the frees queued meanwhile.</summary>
    public static void Exit()
    {
        Action[] run;
        lock (Gate)
        {
            if (--_open > 0 || Deferred.Count == 0) return;
            run = Deferred.ToArray();
            Deferred.Clear();
        }
        foreach (var release in run) release();
    }

    /// <summary>Runs <paramref name="release"/> now, or queues it while a recording is open.</summary>
    public static void Release(Action release)
    {
        lock (Gate)
        {
            if (_open > 0)
            {
                Deferred.Add(release);
                return;
            }
            // Under the lock: a recording cannot start on another thread while the device synchronises.
            release();
        }
    }
}
