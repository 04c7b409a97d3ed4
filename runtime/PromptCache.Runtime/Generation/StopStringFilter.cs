namespace PromptCache.Runtime.Generation;

/// <summary>
/// Streams text while watching for stop strings: text that could still be the start of a stop
/// string is held back until the next token decides, so a stop string is never half-emitted.
/// </summary>
/// <remarks>Shared by <see cref="TextGenerator"/> and the engine's decode loop so both cut text the same way.
/// Feed every decoded piece to <see cref="Push"/>, stop generating once <see cref="Stopped"/> is true,
/// and emit <see cref="Flush"/> at the end.</remarks>
/// <param name="stops">The stop strings; empty ones are ignored.</param>
public sealed class StopStringFilter(IReadOnlyList<string> stops)
{
    private string _pending = "";

    /// <summary>True once a stop string appeared: nothing more is emitted.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds decoded text; returns what can be emitted now (text before a stop string, never part of one).</summary>
    /// <param name="text">The newly decoded text.</param>
    public string Push(string text)
    {
        if (Stopped) return "";
        _pending += text;
        int cut = -1;
        foreach (string stop in stops)
        {
            if (stop.Length == 0) continue;
            int at = _pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0)
        {
            Stopped = true;
            string before = _pending[..cut];
            _pending = "";
            return before;
        }
        int hold = 0;
        foreach (string stop in stops)
            for (int n = Math.Min(stop.Length - 1, _pending.Length); n > hold; n--)
                if (_pending.EndsWith(stop[..n], StringComparison.Ordinal)) { hold = n; break; }
        string ready = _pending[..^hold];
        _pending = _pending[^hold..];
        return ready;
    }

    /// <summary>Text held back at the end of generation (it turned out not to be a stop string).</summary>
    public string Flush()
    {
        string rest = Stopped ? "" : _pending;
        _pending = "";
        return rest;
    }
}
