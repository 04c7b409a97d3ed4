namespace PromptCache.Hosting.Chat;

/// <summary>
/// Cuts streamed text at the first stop sequence. Text that may be the start of a stop sequence is
/// held back until the next piece decides, so a stop sequence is never half-emitted. (The engine's
/// token loop does not apply <c>GenerationOptions.StopStrings</c> in this build; this does.)
/// </summary>
internal sealed class StopSequenceFilter(IReadOnlyList<string> stops)
{
    private string _held = "";

    /// <summary>True once a stop sequence appeared: nothing more is emitted.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds a piece; returns the text that is safe to emit now.</summary>
    public string Push(string piece)
    {
        if (Stopped) return "";
        string text = _held + piece;
        int cut = -1;
        foreach (string stop in stops)
        {
            int at = stop.Length == 0 ? -1 : text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0)
        {
            Stopped = true;
            _held = "";
            return text[..cut];
        }
        int keep = LongestStopPrefixAtEnd(text);
        _held = text[^keep..];
        return text[..^keep];
    }

    /// <summary>The held-back text at the end of the stream (it was not a stop sequence after all).</summary>
    public string Flush()
    {
        string rest = Stopped ? "" : _held;
        _held = "";
        return rest;
    }

    private int LongestStopPrefixAtEnd(string text)
    {
        int longest = 0;
        foreach (string stop in stops)
        {
            for (int n = Math.Min(stop.Length - 1, text.Length); n > longest; n--)
            {
                if (text.AsSpan(text.Length - n).SequenceEqual(stop.AsSpan(0, n)))
                {
                    longest = n;
                    break;
                }
            }
        }
        return longest;
    }
}
