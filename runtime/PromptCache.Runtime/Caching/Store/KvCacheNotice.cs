using PromptCache.Runtime.Caching.Keys;
using PromptCache.Runtime.Caching.Persistence;

namespace PromptCache.Runtime.Caching.Store;

/// <summary>Kinds of events the store reports to the engine (which logs them).</summary>
public enum KvNoticeKind
{
    /// <summary>A cache file failed verification; it was deleted (or quarantined) and treated as a miss.</summary>
    CorruptFile,

    /// <summary>Writing a cache file failed; the entry stays in memory only.</summary>
    WriteFailed,

    /// <summary>A temp file left by an interrupted write was removed at start-up.</summary>
    StaleTempFileRemoved,

    /// <summary>Reading a cache file failed with an I/O error; treated as a miss and unlisted, the file itself is kept.</summary>
    ReadFailed,

    /// <summary>An entry fits neither tier's budget and was not stored.</summary>
    Rejected,
}

/// <summary>One event for the engine's log. The store never throws for these on a serving path.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Key">The entry's key, when known.</param>
/// <param name="Path">The file involved, when any.</param>
/// <param name="Problem">For <see cref="KvNoticeKind.CorruptFile"/>: the failed check.</param>
/// <param name="Message">A sentence naming what and where.</param>
public sealed record KvCacheNotice(KvNoticeKind Kind, KvCacheKey? Key, string? Path, KvFileProblem Problem, string Message);
