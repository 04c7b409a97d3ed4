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
    private static NativeBuffer? s_threadBuffer;

    private static readonly ConcurrentBag<NativeBuffer> s_shared = new();

    /// <summary>This thread's private buffer (a worker runs one GEMM task at a time).</summary>
    public static NativeBuffer ThreadLocal => s_threadBuffer ??= new NativeBuffer();

    /// <summary>Takes a shared buffer for the duration of one call.</summary>
    public static NativeBuffer Rent() => s_shared.TryTake(out var b) ? b : new NativeBuffer();

    /// <summary>Gives a rented buffer back.</summary>
    public static void Return(NativeBuffer buffer) => s_shared.Add(buffer);
}
