using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;

namespace PromptCache.Runtime.Loading;

/// <summary>
/// A read-only memory map of a whole file. Weights are used in place through <see cref="Pointer"/>,
/// so the OS pages them in on demand and shares them between processes; nothing is copied.
/// </summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly SafeMemoryMappedViewHandle _handle;
    private bool _disposed;

    private MappedFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, long length)
    {
        Path = path;
        _map = map;
        _view = view;
        _handle = view.SafeMemoryMappedViewHandle;
        byte* p = null;
        _handle.AcquirePointer(ref p);
        Pointer = p + view.PointerOffset;
        Length = length;
    }

    /// <summary>The mapped file.</summary>
    public string Path { get; }

    /// <summary>The first byte of the file; valid until <see cref="Dispose"/>.</summary>
    public byte* Pointer { get; }

    /// <summary>The file length in bytes.</summary>
    public long Length { get; }

    /// <summary>Maps <paramref name="path"/> read-only.</summary>
    public static MappedFile Open(string path)
    {
        long length = new FileInfo(path).Length;
        if (length == 0) throw new InvalidDataException($"'{path}' is empty.");
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, 0, MemoryMappedFileAccess.Read);
        try
        {
            var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new MappedFile(path, map, view, length);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>Checks that [offset, offset+count) lies inside the file.</summary>
    public void CheckRange(long offset, long count, string what)
    {
        if (offset < 0 || count < 0 || offset + count > Length)
            throw new InvalidDataException($"'{Path}': {what} spans bytes [{offset}, {offset + count}) but the file has {Length} bytes.");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _handle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
