namespace PromptCache.Runtime.Caching.Persistence;

/// <summary>Why a cache file was rejected. Every value except <see cref="None"/> means "never use it".</summary>
public enum KvFileProblem
{
    /// <summary>The file is valid.</summary>
    None = 0,

    /// <summary>The file vanished (evicted or deleted by another store) between lookup and read; a plain miss.</summary>
    Missing,

    /// <summary>The file is shorter or longer than its header says (a torn or truncated write).</summary>
    LengthMismatch,

    /// <summary>The first bytes are not the cache-file magic.</summary>
    BadMagic,

    /// <summary>A format version this build does not read.</summary>
    UnsupportedVersion,

    /// <summary>The header's CRC-32C does not match.</summary>
    HeaderChecksum,

    /// <summary>The header is well-formed but its fields are impossible (negative sizes, unknown dtype, …).</summary>
    BadHeader,

    /// <summary>The key in the header is not the key asked for (or not the key in the file name).</summary>
    KeyMismatch,

    /// <summary>A layer's CRC-32C does not match its bytes.</summary>
    PayloadChecksum,

    /// <summary>The trailer (layer checksum table, end magic) is damaged.</summary>
    TrailerChecksum,

    /// <summary>An I/O error while reading.</summary>
    IoError,
}
