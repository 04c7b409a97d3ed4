using System.Runtime.InteropServices;

namespace PromptCache.Runtime.Inference;

/// <summary>64-byte aligned native memory owned by a SafeHandle, so it is freed exactly once even if a caller forgets to dispose.</summary>
internal sealed unsafe class NativeBuffer : SafeHandle
{
    public NativeBuffer(long bytes) : base(IntPtr.Zero, ownsHandle: true)
    {
        Bytes = Math.Max(bytes, 64);
        // Segment-sized blocks bypass malloc (LargeBuffers says why).
        void* large = LargeBuffers.TryAllocate((nuint)Bytes);
        SetHandle((IntPtr)(large != null ? large : NativeMemory.AlignedAlloc((nuint)Bytes, 64)));
        GC.AddMemoryPressure(Bytes);
    }

    public long Bytes { get; }

    public byte* Pointer => (byte*)handle;

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        if (!LargeBuffers.TryFree((void*)handle)) NativeMemory.AlignedFree((void*)handle);
        GC.RemoveMemoryPressure(Bytes);
        return true;
    }
}
