using System.Runtime.InteropServices;

namespace PromptCache.Runtime.Inference;

/// <summary>
/// Host buffers of a megabyte or more (a forward chunk's activations, K/V segments), mapped straight
/// from the kernel on Linux instead of taken from malloc, with the most recently freed one kept for
/// reuse.
/// </summary>
/// <remarks>
/// <para>Why not malloc: glibc raises its mmap threshold to the size of every mmapped block it frees
/// (up to 32 MiB). After the first 18 MiB K/V segment of the Llama-110M benchmark was freed, the
/// next segments and every chunk's activations came from the brk heap, where freed blocks are
/// neither returned nor reliably reused: peak RSS grew by 11–20 MiB per repetition (428 → 446 MiB
/// over three), against a flat 414 with the threshold pinned.</para>
/// <para>Why keep one: the next chunk usually needs the same size, and first-touch page faults of
/// fresh pages cost ~2 ms per MB on the measured VM. One block is what malloc would keep anyway. A
/// reused block is cut to the request (the tail is unmapped), so a small long-lived segment never
/// pins a big block; blocks over <see cref="CacheLimit"/> are unmapped at once.</para>
/// <para>Why up to 512 MB: an engine request's session segment is freed when the request ends and the
/// next request asks for the same size. With a 64 MB limit a 4096-token f16 session of the 110M model
/// (151 MB) came back as fresh pages every time, and on the GPU the K/V copy-back into them bounded the
/// request: uncached TTFT 60–72 ms against 19–21 ms when the block was kept (H100 machine, same binary
/// but for the limit, alternating).</para>
/// </remarks>
internal static unsafe partial class LargeBuffers
{
    /// <summary>Smaller requests stay with malloc: their faults and fragmentation are negligible.</summary>
    public const long Threshold = 1L << 20;

    /// <summary>Largest freed block kept for reuse.</summary>
    public const long CacheLimit = 512L << 20;

    private const int ProtReadWrite = 0x1 | 0x2;           // PROT_READ | PROT_WRITE
    private const int MapPrivateAnonymous = 0x02 | 0x20;   // MAP_PRIVATE | MAP_ANONYMOUS (Linux values)

    private static readonly object s_gate = new();
    private static readonly Dictionary<nint, nuint> s_live = new();
    private static nint s_cached;
    private static nuint s_cachedBytes;

    /// <summary>A page-aligned block of at least <paramref name="bytes"/>, or null where malloc should serve it.</summary>
    public static void* TryAllocate(nuint bytes)
    {
        if (bytes < Threshold || !OperatingSystem.IsLinux()) return null;
        nuint page = (nuint)Environment.SystemPageSize;
        nuint length = (bytes + page - 1) / page * page;
        lock (s_gate)
        {
            void* block;
            if (s_cached != 0 && s_cachedBytes >= length)
            {
                // Already resident: reusing it costs no faults. Only what is asked for is kept.
                block = (void*)s_cached;
                if (s_cachedBytes > length) _ = Munmap((byte*)block + length, s_cachedBytes - length);
                s_cached = 0;
                s_cachedBytes = 0;
            }
            else
            {
                block = MapFresh(length);
            }
            s_live.Add((nint)block, length);
            return block;
        }
    }

    /// <summary>Releases a block from <see cref="TryAllocate"/>; false when <paramref name="block"/> is not one.</summary>
    public static bool TryFree(void* block)
    {
        lock (s_gate)
        {
            if (!s_live.Remove((nint)block, out nuint length)) return false;
            if (length > CacheLimit)
            {
                _ = Munmap(block, length);
                return true;
            }
            if (s_cached != 0) _ = Munmap((void*)s_cached, s_cachedBytes);
            s_cached = (nint)block;
            s_cachedBytes = length;
            return true;
        }
    }

    // A fresh mapping, from a 2 MiB boundary when it is large enough to hold huge pages, offered to transparent huge
    // pages (HugePages): the K/V a GPU prefill writes back lands in fresh pages, and faulting them in 4 KiB at a time
    // bounded a module's warm-up (H100 machine, 4096 tokens of the 7B shape, 2 GiB of f16 K/V: the passes took 3.4 s
    // against 0.1 s of prefill; RESULTS.md, session 19). The length is not rounded: no resident memory is wasted.
    private static void* MapFresh(nuint length)
    {
        if (length < HugePages.Threshold)
        {
            void* small = Mmap(null, length, ProtReadWrite, MapPrivateAnonymous, -1, 0);
            if (small == (void*)-1) throw new OutOfMemoryException($"mmap of {length} bytes failed (errno {Marshal.GetLastPInvokeError()}).");
            return small;
        }
        // Map a huge page more than asked, then give back what lies before the first 2 MiB boundary and after the end.
        const nuint page = HugePages.Bytes;
        byte* raw = (byte*)Mmap(null, length + page, ProtReadWrite, MapPrivateAnonymous, -1, 0);
        if (raw == (byte*)-1) throw new OutOfMemoryException($"mmap of {length + page} bytes failed (errno {Marshal.GetLastPInvokeError()}).");
        byte* start = (byte*)(((nuint)raw + page - 1) & ~(page - 1));
        if (start > raw) _ = Munmap(raw, (nuint)(start - raw));
        nuint tail = (nuint)(raw + length + page - (start + length));
        if (tail > 0) _ = Munmap(start + length, tail);
        HugePages.Advise(start, length);
        return start;
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(void* address, nuint length);
}
