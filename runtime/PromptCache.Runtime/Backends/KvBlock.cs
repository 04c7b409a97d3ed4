using PromptCache.Runtime.Inference;

namespace PromptCache.Runtime.Backends;

/// <summary>
/// The keys a query can see in one segment: the first <see cref="Visible"/> tokens, plus, when
/// <see cref="Causal"/>, one more for every query row (query i sees <c>Visible + i + 1</c>). The
/// causal block is the one the new tokens' own K/V were just written to.
/// </summary>
/// <param name="Segment">The K/V storage.</param>
/// <param name="Visible">Tokens every query row sees.</param>
/// <param name="Causal">Whether row i additionally sees i + 1 tokens after <paramref name="Visible"/>.</param>
public readonly record struct KvBlock(KvSegment Segment, int Visible, bool Causal)
{
    /// <summary>How many keys query row <paramref name="row"/> sees in this block.</summary>
    public int VisibleTo(int row) => Causal ? Visible + row + 1 : Visible;
}
