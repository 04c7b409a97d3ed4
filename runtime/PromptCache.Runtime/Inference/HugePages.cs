using System.Runtime.InteropServices;

namespace PromptCache.Runtime.Inference;

/// <summary>
/// Transparent huge pages for large host buffers (segments' K/V, the store's entries): first-touch faults of fresh
/// 4 KiB pages cost ~2 ms per MB on the measured VM and bounded a GPU module's warm-up on the H100 machine; 2 MiB
/// pages cut the fault count 512-fold. Only whole 2 MiB blocks can become huge pages, so callers align the start.
/// </summary>
internal static unsafe partial class HugePages
{
    /// <summary>The size of one huge page, and the alignment a buffer's start needs.</summary>
    public const int Bytes = 2 << 20;

    /// <summary>Buffers from this size on are worth aligning and advising.</summary>
    public const long Threshold = 4L << 20;

    private const int MadviseHugePage = 14; // MADV_HUGEPAGE (Linux)

    /// <summary>Offers the range to transparent huge pages. Advisory: where THP is off or the call fails, it keeps normal pages.</summary>
    public static void Advise(void* address, nuint length) => _ = Madvise(address, length, MadviseHugePage);

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
