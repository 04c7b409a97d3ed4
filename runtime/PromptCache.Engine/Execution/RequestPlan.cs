using PromptCache.Runtime.Inference;

namespace PromptCache.Engine.Execution;

/// <summary>
/// What one request needs: the cached segments it reuses and the new tokens it computes, both at
/// their schema positions; plus the whole token sequence for the uncached (full prefill) path.
/// </summary>
internal sealed class RequestPlan
{
    public required IReadOnlyList<KvSegment> Context { get; init; }

    /// <summary>New tokens (arguments, uncached modules, suffix) sorted by position.</summary>
    public required int[] NewIds { get; init; }

    /// <summary>Their positions, increasing.</summary>
    public required int[] NewPositions { get; init; }

    /// <summary>Every token of the prompt in position order (cached ones included), for the uncached path.</summary>
    public required int[] AllIds { get; init; }

    /// <summary>Positions of <see cref="AllIds"/> in the schema (the cached path's positions).</summary>
    public required int[] AllPositions { get; init; }

    /// <summary>Cached segments reused (the root counts as one).</summary>
    public required int ModuleHits { get; init; }

    /// <summary>Selected modules computed on this request (<c>cache="false"</c>).</summary>
    public required int UncachedModules { get; init; }

    /// <summary>Tokens served from cached segments.</summary>
    public int CachedTokens => Context.Sum(s => s.Count);
}
