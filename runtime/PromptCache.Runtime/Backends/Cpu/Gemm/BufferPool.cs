using System.Collections.Concurrent;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// Scratch buffers for the GEMM: one per worker thread for packed weight panels, and a small pool
/// of per-call buffers for the packed activations that all workers of one call share. Concurrent
/// callers each rent their own, which is what makes <see cref="CpuGemm"/> thread-safe.
/// </summary>
internal static class BufferPool
{
    [ThreadStatic]
    private static ScratchBuffer? s_threadBuffer;

    private static readonly ConcurrentBag<ScratchBuffer> s_shared = new();

    /// <summary>This thread's private buffer (a worker runs one GEMM task at a time).</summary>
    public static ScratchBuffer ThreadLocal => s_threadBuffer ??= new ScratchBuffer();

    /// <summary>Takes a shared buffer for the duration of one call.</summary>
    public static ScratchBuffer Rent() => s_shared.TryTake(out var b) ? b : new ScratchBuffer();

    /// <summary>Gives a rented buffer back.</summary>
    public static void Return(ScratchBuffer buffer) => s_shared.Add(buffer);
}
