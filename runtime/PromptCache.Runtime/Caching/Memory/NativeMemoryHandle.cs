using System.Runtime.InteropServices;

namespace PromptCache.Runtime.Caching.Memory;

/// <summary>Owns one aligned native allocation; SafeHandle so a missed Dispose still frees it on finalization.</summary>
internal sealed unsafe partial class NativeMemoryHandle : SafeHandle
{
    private const int CacheLineAlignment = 64;

    // Large buffers are aligned to 2 MiB and offered to transparent huge pages. On the measured VM,
    // first-touch page faults of fresh 4 KiB pages cost ~2 ms per MB — most of a disk promotion —
    // and huge pages cut the fault count 512-fold (Caching/README.md has the numbers).
    private const int HugePageBytes = 2 << 20;
    private const long HugePageThreshold = 4L << 20;
    private const int MadviseHugePage = 14; // MADV_HUGEPAGE (Linux)

    public NativeMemoryHandle(long bytes)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        // A zero-token entry still gets a real (one-byte) block so the handle is valid.
        nuint size = (nuint)Math.Max(1, bytes);
        // Only the start is aligned: every whole 2 MiB block can then be a huge page, and the tail
        // simply uses normal pages, so no resident memory is wasted on rounding.
        bool huge = bytes >= HugePageThreshold && OperatingSystem.IsLinux();
        void* memory = NativeMemory.AlignedAlloc(size, huge ? (nuint)HugePageBytes : CacheLineAlignment);
        SetHandle((IntPtr)memory);
        if (huge)
        {
            // Advisory only: where THP is off or the call fails, the buffer simply uses normal pages.
            _ = Madvise(memory, size, MadviseHugePage);
        }

        // No GC.AddMemoryPressure: the store frees these deterministically, and reporting gigabytes of
        // cache memory to the GC would induce full collections on the serving path.
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    public byte* Pointer => (byte*)handle;

    protected override bool ReleaseHandle()
    {
        NativeMemory.AlignedFree((void*)handle);
        return true;
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
