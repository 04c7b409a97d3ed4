using PromptCache.Runtime.Inference;

namespace PromptCache.Runtime.Generation;

/// <summary>How to pick tokens and when to stop.</summary>
public sealed record GenerationOptions
{
    /// <summary>The most tokens to generate.</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Softmax temperature; 0 (or less) is greedy argmax.</summary>
    public float Temperature { get; init; }

    /// <summary>Keep only the k most likely tokens; 0 disables.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of tokens whose probability sums to at least p; 1 disables.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Drop tokens less likely than min_p × the most likely one; 0 disables.</summary>
    public float MinP { get; init; }

    /// <summary>Seed of the sampler's random numbers, for reproducible sampling; null picks one.</summary>
    public int? Seed { get; init; }

    /// <summary>HF-style repetition penalty over the prompt and generated tokens; 1 disables.</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>Token ids that end generation (not emitted). The tokenizer's EOS is added unless <see cref="IgnoreEos"/>.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Strings that end generation; the text is cut before the first one. Needs a tokenizer.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Keep going past the tokenizer's EOS token.</summary>
    public bool IgnoreEos { get; init; }

    /// <summary>Segments (cached modules) the prompt attends to.</summary>
    public IReadOnlyList<KvSegment> Context { get; init; } = [];

    /// <summary>Position IDs of the prompt tokens; null means consecutive from just after the context's last position (or 0).</summary>
    public IReadOnlyList<int>? PromptPositions { get; init; }

    /// <summary>Storage type of the session's K/V.</summary>
    public KvDataType KvDataType { get; init; } = KvDataType.F32;

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxTokens, nameof(MaxTokens));
        ArgumentOutOfRangeException.ThrowIfNegative(TopK, nameof(TopK));
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "top_p must be in (0, 1].");
        if (!(MinP >= 0 && MinP < 1)) throw new ArgumentOutOfRangeException(nameof(MinP), MinP, "min_p must be in [0, 1).");
        if (!(RepetitionPenalty > 0)) throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), RepetitionPenalty, "repetition penalty must be positive.");
        if (float.IsNaN(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), "temperature is NaN.");
    }
}
