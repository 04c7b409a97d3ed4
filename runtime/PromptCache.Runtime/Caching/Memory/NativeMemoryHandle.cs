using System.Runtime.InteropServices;

namespace PromptCache.Runtime.Caching.Memory;

/// <summary>Owns one aligned native allocation; SafeHandle so a missed Dispose still frees it on finalization.</summary>
internal sealed unsafe class NativeMemoryHandle : SafeHandle
{
    private const int Alignment = 64;

    public NativeMemoryHandle(long bytes)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        // A zero-token entry still gets a real (one-byte) block so the handle is valid.
        nuint size = (nuint)Math.Max(1, bytes);
        SetHandle((IntPtr)NativeMemory.AlignedAlloc(size, Alignment));

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
