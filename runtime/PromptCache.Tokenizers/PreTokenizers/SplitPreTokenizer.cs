using System.Collections.Generic;

namespace PromptCache.Tokenizers.PreTokenizers
{
    /// <summary>How a <see cref="SplitPreTokenizer"/> treats the matches of its pattern (HF <c>behavior</c>).</summary>
    internal enum SplitBehavior
    {
        Removed,
        Isolated,
        MergedWithPrevious,
        MergedWithNext,
        Contiguous,
    }

    /// <summary>
    /// HF <c>Split</c>: splits each piece on a pattern (a literal string or a regex), keeping,
    /// dropping or merging the matches according to <see cref="SplitBehavior"/>.
    /// </summary>
    internal sealed class SplitPreTokenizer : PreTokenizer
    {
        private readonly SplitScanner _scanner;
        private readonly SplitBehavior _behavior;
        private readonly bool _invert;

        public SplitPreTokenizer(SplitScanner scanner, SplitBehavior behavior, bool invert)
        {
            _scanner = scanner;
            _behavior = behavior;
            _invert = invert;
        }

        public override SplitScanner? DirectScanner => _behavior == SplitBehavior.Isolated && !_invert ? _scanner : null;

        public override void Split(List<PreToken> input, List<PreToken> output, bool isFirstSection)
        {
            foreach (PreToken piece in input) SplitOne(piece, output);
        }

        internal void SplitOne(PreToken piece, List<PreToken> output)
        {
            string s = piece.Text;
            int end = piece.End;
            int pos = piece.Start;

            // Fast path for the common case: every character is inside some match (true for the
            // GPT-2/Qwen/Llama 3 patterns), so each match is a piece.
            if (_behavior == SplitBehavior.Isolated && !_invert)
            {
                while (pos < end)
                {
                    if (!_scanner.NextMatch(s, pos, end, out int ms, out int me))
                    {
                        output.Add(new PreToken(s, pos, end - pos));
                        return;
                    }
                    if (ms > pos) output.Add(new PreToken(s, pos, ms - pos));
                    output.Add(new PreToken(s, ms, me - ms));
                    pos = me;
                }
                return;
            }

            // General path: list (segment, isMatch) then apply the behaviour like HF's split.
            var segments = new List<(int Start, int End, bool IsMatch)>();
            while (pos < end)
            {
                if (!_scanner.NextMatch(s, pos, end, out int ms, out int me))
                {
                    segments.Add((pos, end, false));
                    break;
                }
                if (ms > pos) segments.Add((pos, ms, false));
                segments.Add((ms, me, true));
                pos = me;
            }
            if (_invert)
            {
                for (int k = 0; k < segments.Count; k++) segments[k] = (segments[k].Start, segments[k].End, !segments[k].IsMatch);
            }

            switch (_behavior)
            {
                case SplitBehavior.Removed:
                    foreach (var seg in segments) if (!seg.IsMatch) output.Add(new PreToken(s, seg.Start, seg.End - seg.Start));
                    break;
                case SplitBehavior.Isolated:
                    foreach (var seg in segments) output.Add(new PreToken(s, seg.Start, seg.End - seg.Start));
                    break;
                case SplitBehavior.MergedWithPrevious:
                {
                    // A match joins the piece before it, unless that piece is itself a match
                    // (HF: "the-final--countdown" -> "the-", "final-", "-", "countdown").
                    var merged = new List<(int Start, int End, bool IsMatch)>(segments.Count);
                    foreach (var seg in segments)
                    {
                        if (seg.IsMatch && merged.Count > 0 && !merged[merged.Count - 1].IsMatch)
                            merged[merged.Count - 1] = (merged[merged.Count - 1].Start, seg.End, true);
                        else
                            merged.Add(seg);
                    }
                    foreach (var seg in merged) output.Add(new PreToken(s, seg.Start, seg.End - seg.Start));
                    break;
                }
                case SplitBehavior.MergedWithNext:
                {
                    // Mirror image of MergedWithPrevious: a match joins the piece after it, unless
                    // that piece is itself a match.
                    var merged = new List<(int Start, int End, bool IsMatch)>(segments.Count);
                    for (int k = segments.Count - 1; k >= 0; k--)
                    {
                        var seg = segments[k];
                        if (seg.IsMatch && merged.Count > 0 && !merged[merged.Count - 1].IsMatch)
                            merged[merged.Count - 1] = (seg.Start, merged[merged.Count - 1].End, true);
                        else
                            merged.Add(seg);
                    }
                    for (int k = merged.Count - 1; k >= 0; k--) output.Add(new PreToken(s, merged[k].Start, merged[k].End - merged[k].Start));
                    break;
                }
                case SplitBehavior.Contiguous:
                {
                    int runStart = -1;
                    int runEnd = -1;
                    foreach (var seg in segments)
                    {
                        if (seg.IsMatch)
                        {
                            if (runStart < 0) runStart = seg.Start;
                            runEnd = seg.End;
                            continue;
                        }
                        if (runStart >= 0) { output.Add(new PreToken(s, runStart, runEnd - runStart)); runStart = -1; }
                        output.Add(new PreToken(s, seg.Start, seg.End - seg.Start));
                    }
                    if (runStart >= 0) output.Add(new PreToken(s, runStart, runEnd - runStart));
                    break;
                }
            }
        }
    }
}
