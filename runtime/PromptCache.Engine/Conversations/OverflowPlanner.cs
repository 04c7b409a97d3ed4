namespace PromptCache.Engine.Conversations;

/// <summary>How many of the oldest turns a turn must drop to fit the context window.</summary>
/// <param name="DroppedTurns">Whole turns dropped, oldest first (0: nothing to do).</param>
/// <param name="DropStart">First dropped position (the oldest turn's start).</param>
/// <param name="Shift">Positions dropped: everything from <paramref name="DropStart"/> on moves down by this much.</param>
internal readonly record struct OverflowPlan(int DroppedTurns, int DropStart, int Shift)
{
    public int DropEnd => DropStart + Shift;
}

/// <summary>
/// The truncation policy, as a pure function of the turn boundaries: keep the schema (its cached modules,
/// arguments and uncached modules sit at fixed positions below the first turn), drop the fewest oldest whole
/// turns that make the current turn fit, never the current turn itself.
/// </summary>
internal static class OverflowPlanner
{
    /// <param name="schemaName">For messages.</param>
    /// <param name="turnStarts">The start position of every turn still in the history, the current one last.</param>
    /// <param name="end">One past the current turn's last pending position.</param>
    /// <param name="maxTokens">Tokens the turn may generate.</param>
    /// <param name="contextLength">The context window (0: unknown, never overflows).</param>
    /// <param name="window">How to name the window in messages.</param>
    /// <param name="policy">Throw or truncate.</param>
    /// <param name="turn">The current turn's number, for messages.</param>
    /// <exception cref="PromptCacheException">The turn does not fit and may not (or cannot) be made to fit.</exception>
    public static OverflowPlan Plan(string schemaName, IReadOnlyList<int> turnStarts, int end, int maxTokens, int contextLength,
        ConversationOverflow policy, int turn, string window = "the model's context window")
    {
        long needed = (long)end + maxTokens;
        if (contextLength <= 0 || needed <= contextLength) return default;
        int schemaTokens = turnStarts[0];
        int history = turnStarts[^1] - turnStarts[0];
        int current = end - turnStarts[^1];
        string counts = $"{schemaTokens} schema tokens + {history} tokens of {turnStarts.Count - 1} earlier turn(s) + {current} new tokens + MaxTokens {maxTokens} = {needed} positions, past {window} of {contextLength}";
        if (policy == ConversationOverflow.Throw)
        {
            throw new PromptCacheException($"Conversation on schema '{schemaName}', turn {turn}: {counts}. Set ConversationOptions.Overflow = TruncateOldestTurns to drop the oldest turns, lower MaxTokens, or start a new conversation.");
        }
        long overflow = needed - contextLength;
        for (int k = 1; k < turnStarts.Count; k++)
        {
            int shift = turnStarts[k] - turnStarts[0];
            if (shift >= overflow) return new OverflowPlan(k, turnStarts[0], shift);
        }
        throw new PromptCacheException($"Conversation on schema '{schemaName}', turn {turn}: {counts}; dropping every earlier turn frees only {history} positions of the {overflow} needed. Shorten the message, lower MaxTokens, or start a new conversation.");
    }
}
