namespace PromptCache.Benchmarks.Inference;

/// <summary>Peak resident set size of this process (Linux VmHWM), resettable between models.</summary>
internal static class PeakMemory
{
    /// <summary>Resets the high-water mark (writing 5 to clear_refs; Linux ≥ 4.0). Returns false where unsupported.</summary>
    public static bool Reset()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>VmHWM in bytes, or the runtime's peak working set where /proc is absent.</summary>
    public static long PeakBytes()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException)
        {
        }
        return Environment.WorkingSet;
    }
}
