namespace PromptCache.Runtime.Caching.Entries;

/// <summary>
/// A run of consecutive positions: tokens <c>Start .. Start+Count-1</c>. An entry's positions are a
/// list of runs, one for a contiguous module, so the file header stays a fixed size per entry instead
/// of growing by four bytes per token.
/// </summary>
/// <param name="Start">First position.</param>
/// <param name="Count">Number of positions.</param>
public readonly record struct KvPositionRun(int Start, int Count);
