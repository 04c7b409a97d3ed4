using System.Runtime.InteropServices;
using PromptCache.Runtime.Inference;

namespace PromptCache.Runtime.Caching.Memory;

/// <summary>Owns one aligned native allocation; SafeHandle so a missed Dispose still frees it on finalization.</summary>
internal sealed unsafe partial class NativeMemoryHandle : SafeHandle
{
    private const int CacheLineAlignment = 64;

    // Large buffers are aligned to 2 MiB and offered to transparent huge pages (HugePages): first-touch faults
    // were most of a disk promotion on the measured VM (Caching/README.md has the numbers).

    public NativeMemoryHandle(long bytes)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        // A zero-token entry still gets a real (one-byte) block so the handle is valid.
        nuint size = (nuint)Math.Max(1, bytes);
        // Only the start is aligned: every whole 2 MiB block can then be a huge page, and the tail
        // simply uses normal pages, so no resident memory is wasted on rounding.
        bool huge = bytes >= HugePages.Threshold && OperatingSystem.IsLinux();
        void* memory = NativeMemory.AlignedAlloc(size, huge ? (nuint)HugePages.Bytes : CacheLineAlignment);
        SetHandle((IntPtr)memory);
        if (huge) HugePages.Advise(memory, size);

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
}
