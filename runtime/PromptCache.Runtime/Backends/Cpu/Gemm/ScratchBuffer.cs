using System.Runtime.InteropServices;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// A 64-byte aligned scratch buffer of floats that grows but never shrinks. Packing buffers are
/// reused across calls because a fresh allocation per call would pay page faults every time.
/// </summary>
internal sealed unsafe class ScratchBuffer : IDisposable
{
    private float* _data;
    private long _capacity;

    /// <summary>A buffer of at least <paramref name="floats"/> floats; contents are undefined.</summary>
    public float* Get(long floats)
    {
        if (floats > _capacity)
        {
            // Grow by at least half so that slowly growing shapes do not reallocate on every call.
            long size = Math.Max(floats, _capacity * 3 / 2);
            NativeMemory.AlignedFree(_data);
            _data = null;
            _capacity = 0;
            _data = (float*)NativeMemory.AlignedAlloc((nuint)(size * sizeof(float)), 64);
            _capacity = size;
        }

        return _data;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        NativeMemory.AlignedFree(_data);
        _data = null;
        _capacity = 0;
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the memory if the owner forgot to.</summary>
    ~ScratchBuffer() => NativeMemory.AlignedFree(_data);
}
