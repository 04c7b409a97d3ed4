using PromptCache.Runtime.Backends;

namespace PromptCache.Runtime.Inference;

/// <summary>
/// The attention calls of one forward chunk: consecutive query rows that see the same prefix of every
/// context segment share one call. With <see cref="ContextVisibility.All"/> that is a single call.
/// </summary>
/// <remarks>
/// Why row groups rather than a per-row mask in the backends: a segment's positions increase, so
/// "tokens below position p" is always a prefix of it, which <see cref="KvBlock"/> already expresses;
/// every backend then gets position-causal attention without a new kernel. Rows of one argument
/// usually share a group, so a cached call makes a handful of calls, not one per row.
/// </remarks>
internal readonly record struct AttentionGroup(int FirstRow, int Rows, KvBlock[] Blocks)
{
    /// <summary>Plans the groups for one chunk.</summary>
    /// <param name="positions">The chunk's rows' positions.</param>
    /// <param name="context">Segments attended to, in order.</param>
    /// <param name="output">The segment this chunk appends to.</param>
    /// <param name="start">Tokens already in <paramref name="output"/> before this chunk.</param>
    /// <param name="visibility">Which context tokens a row sees.</param>
    public static AttentionGroup[] Plan(ReadOnlySpan<int> positions, IReadOnlyList<KvSegment> context, KvSegment output, int start,
        ContextVisibility visibility)
    {
        var own = new KvBlock(output, start, Causal: true);
        if (visibility == ContextVisibility.All || context.Count == 0)
        {
            var all = new KvBlock[context.Count + 1];
            for (int i = 0; i < context.Count; i++) all[i] = new KvBlock(context[i], context[i].Count, Causal: false);
            all[^1] = own;
            return [new AttentionGroup(0, positions.Length, all)];
        }

        foreach (var segment in context) RequireIncreasing(segment);
        var groups = new List<AttentionGroup>();
        int[] visible = VisibleCounts(positions[0], context), next;
        int first = 0;
        for (int r = 1; r <= positions.Length; r++)
        {
            next = r < positions.Length ? VisibleCounts(positions[r], context) : [];
            if (r < positions.Length && next.AsSpan().SequenceEqual(visible)) continue;
            var blocks = new KvBlock[context.Count + 1];
            for (int i = 0; i < context.Count; i++) blocks[i] = new KvBlock(context[i], visible[i], Causal: false);
            // The output segment stays causal by index: row `first` of this group is row `first` of the chunk.
            blocks[^1] = own with { Visible = start + first };
            groups.Add(new AttentionGroup(first, r - first, blocks));
            first = r;
            visible = next;
        }
        return [.. groups];
    }

    /// <summary>
    /// The groups cut to the chunk's rows from <paramref name="row"/> on, each row seeing what it saw in
    /// <paramref name="groups"/> (the last layer runs attention for its logit rows alone).
    /// </summary>
    public static AttentionGroup[] From(AttentionGroup[] groups, int row)
    {
        if (row == 0) return groups;
        var kept = new List<AttentionGroup>(groups.Length);
        foreach (var g in groups)
        {
            int end = g.FirstRow + g.Rows;
            if (end <= row) continue;
            if (g.FirstRow >= row)
            {
                kept.Add(g);
                continue;
            }
            // The output block is causal by index from the group's first row: move its start with the cut.
            var blocks = (KvBlock[])g.Blocks.Clone();
            blocks[^1] = blocks[^1] with { Visible = blocks[^1].Visible + row - g.FirstRow };
            kept.Add(new AttentionGroup(row, end - row, blocks));
        }
        return [.. kept];
    }

    // The prefix rule below is only sound for increasing positions; a caller that built a segment
    // otherwise gets told instead of a silently wrong mask.
    private static void RequireIncreasing(KvSegment segment)
    {
        var positions = segment.Positions;
        for (int i = 1; i < segment.Count; i++)
        {
            if (positions[i] <= positions[i - 1])
                throw new ArgumentException($"Position-causal attention needs increasing positions in each context segment; token {i} is at {positions[i]} after {positions[i - 1]}.");
        }
    }

    private static int[] VisibleCounts(int position, IReadOnlyList<KvSegment> context)
    {
        var counts = new int[context.Count];
        for (int i = 0; i < counts.Length; i++) counts[i] = CountBelow(context[i].Positions, context[i].Count, position);
        return counts;
    }

    // A segment's positions increase, so the tokens below p are a prefix: binary search its length.
    private static int CountBelow(IReadOnlyList<int> positions, int count, int p)
    {
        int lo = 0, hi = count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (positions[mid] < p) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
