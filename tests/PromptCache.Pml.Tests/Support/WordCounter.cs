using PromptCache.Pml.Layout;
using PromptCache.Pml.Syntax;

namespace PromptCache.Pml.Tests.Support;

/// <summary>A deterministic fake tokenizer: one token per whitespace-separated word, and one for a lone space.</summary>
internal sealed class WordCounter : ITokenCounter
{
    public int CountTokens(string text)
    {
        if (text.Length > 0 && string.IsNullOrWhiteSpace(text))
            return 1;
        return text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
    }
}

/// <summary>Fixed marker sizes, different per role, so tests can see which was used.</summary>
internal sealed class FixedRoleMarkers : IRoleMarkers
{
    public int CountBeginTokens(PmlRoleKind role) => role switch { PmlRoleKind.System => 3, PmlRoleKind.User => 2, _ => 1 };

    public int CountEndTokens(PmlRoleKind role) => role switch { PmlRoleKind.System => 2, PmlRoleKind.User => 1, _ => 1 };
}
