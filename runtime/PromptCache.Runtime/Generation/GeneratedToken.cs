namespace PromptCache.Runtime.Generation;

/// <summary>One generated token as streamed to the caller.</summary>
/// <param name="Id">The token id.</param>
/// <param name="Text">The text this token completes; empty while a multi-byte character or a possible stop string is pending.</param>
/// <param name="Index">0 for the first generated token.</param>
public readonly record struct GeneratedToken(int Id, string Text, int Index);

/// <summary>Why generation ended.</summary>
public enum StopReason
{
    /// <summary>Still running (or not started).</summary>
    None,
    /// <summary><see cref="GenerationOptions.MaxTokens"/> reached.</summary>
    MaxTokens,
    /// <summary>A stop token (or EOS) was sampled.</summary>
    StopToken,
    /// <summary>A stop string appeared in the text.</summary>
    StopString,
}

/// <summary>Timing of one generation, filled in while it runs.</summary>
public sealed class GenerationStats
{
    /// <summary>Prompt tokens computed (not counting cached context).</summary>
    public int PromptTokens { get; internal set; }

    /// <summary>Tokens sampled (including a final stop token).</summary>
    public int GeneratedTokens { get; internal set; }

    /// <summary>From the call to the first sampled token: prefill plus sampling.</summary>
    public TimeSpan TimeToFirstToken { get; internal set; }

    /// <summary>Time spent after the first token.</summary>
    public TimeSpan DecodeTime { get; internal set; }

    /// <summary>Prompt tokens per second of the prefill.</summary>
    public double PrefillTokensPerSecond => TimeToFirstToken > TimeSpan.Zero ? PromptTokens / TimeToFirstToken.TotalSeconds : 0;

    /// <summary>Tokens per second after the first one.</summary>
    public double DecodeTokensPerSecond => DecodeTime > TimeSpan.Zero ? (GeneratedTokens - 1) / DecodeTime.TotalSeconds : 0;

    /// <summary>Why it stopped.</summary>
    public StopReason StopReason { get; internal set; }

    /// <inheritdoc />
    public override string ToString() =>
        $"prompt {PromptTokens} tok, TTFT {TimeToFirstToken.TotalMilliseconds:F1} ms ({PrefillTokensPerSecond:F1} tok/s), " +
        $"generated {GeneratedTokens} tok at {DecodeTokensPerSecond:F1} tok/s, stop: {StopReason}";
}
