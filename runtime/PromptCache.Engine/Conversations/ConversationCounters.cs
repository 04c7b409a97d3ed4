namespace PromptCache.Engine.Conversations;

/// <summary>Where a turn found the conversation's earlier K/V.</summary>
public enum SessionSource
{
    /// <summary>The first turn: there was no history yet.</summary>
    None,

    /// <summary>The store's memory tier.</summary>
    Memory,

    /// <summary>The store's disk tier (the session had been spilled under memory pressure), loaded without recomputation.</summary>
    Disk,

    /// <summary>Not in the store (evicted without a disk tier, rejected, or a corrupt file): recomputed from the history's tokens.</summary>
    Recomputed,
}

/// <summary>What one turn of a conversation did besides generating.</summary>
public sealed record ConversationTurnInfo
{
    /// <summary>Where the history came from.</summary>
    public SessionSource Source { get; init; }

    /// <summary>History tokens attended to (the session's own; cached modules not counted).</summary>
    public int HistoryTokens { get; init; }

    /// <summary>Tokens pushed through the model again because the session was not in the store.</summary>
    public int RecomputedTokens { get; init; }

    /// <summary>Whole turns dropped by <see cref="ConversationOverflow.TruncateOldestTurns"/>.</summary>
    public int DroppedTurns { get; init; }

    /// <summary>Positions those turns held: the shift applied to the rest of the history.</summary>
    public int DroppedTokens { get; init; }

    /// <summary>Loading the entry and rotating its keys to their positions (or recomputing it): part of the turn's TTFT.</summary>
    public TimeSpan LoadTime { get; init; }

    /// <summary>Writing the turn's K/V back to the store (after the answer; not part of TTFT).</summary>
    public TimeSpan SaveTime { get; init; }
}

/// <summary>Totals over a conversation's turns.</summary>
public sealed record ConversationCounters
{
    /// <summary>Turns whose history came from the memory tier.</summary>
    public int MemoryLoads { get; init; }

    /// <summary>Turns whose history came from the disk tier, without recomputation.</summary>
    public int DiskLoads { get; init; }

    /// <summary>Turns whose history had to be recomputed.</summary>
    public int Recomputes { get; init; }

    /// <summary>Tokens recomputed by those turns.</summary>
    public int RecomputedTokens { get; init; }

    /// <summary>Turns that truncated the history.</summary>
    public int Truncations { get; init; }

    /// <summary>Turns dropped in total.</summary>
    public int DroppedTurns { get; init; }

    /// <summary>Positions dropped in total.</summary>
    public int DroppedTokens { get; init; }

    internal ConversationCounters Add(ConversationTurnInfo turn) => this with
    {
        MemoryLoads = MemoryLoads + (turn.Source == SessionSource.Memory ? 1 : 0),
        DiskLoads = DiskLoads + (turn.Source == SessionSource.Disk ? 1 : 0),
        Recomputes = Recomputes + (turn.Source == SessionSource.Recomputed ? 1 : 0),
        RecomputedTokens = RecomputedTokens + turn.RecomputedTokens,
        Truncations = Truncations + (turn.DroppedTurns > 0 ? 1 : 0),
        DroppedTurns = DroppedTurns + turn.DroppedTurns,
        DroppedTokens = DroppedTokens + turn.DroppedTokens,
    };
}
