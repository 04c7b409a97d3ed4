using System.Collections.Generic;

namespace PromptCache.Pml.Parsing
{
    /// <summary>The text being parsed plus a line map, to turn character offsets into PML locations.</summary>
    internal sealed class SourceText
    {
        private readonly List<int> _lineStarts = new List<int>();

        public SourceText(string text, string filePath)
        {
            Text = text;
            FilePath = filePath;
            _lineStarts.Add(0);
            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] == '\n')
                    _lineStarts.Add(i + 1);
            }
        }

        public string Text { get; }

        public string FilePath { get; }

        public int Length => Text.Length;

        public PmlLocation Location(int start, int length)
        {
            if (start < 0)
                start = 0;
            if (start > Text.Length)
                start = Text.Length;
            if (length < 0)
                length = 0;
            if (start + length > Text.Length)
                length = Text.Length - start;
            LineColumn(start, out int line, out int column);
            LineColumn(start + length, out int endLine, out int endColumn);
            return new PmlLocation(FilePath, start, length, line, column, endLine, endColumn);
        }

        public PmlLocation LocationFromTo(int start, int end) => Location(start, end - start);

        public string Slice(int start, int end) => Text.Substring(start, end - start);

        private void LineColumn(int offset, out int line, out int column)
        {
            // Binary search for the last line start <= offset.
            int lo = 0, hi = _lineStarts.Count - 1;
            while (lo < hi)
            {
                int mid = (lo + hi + 1) / 2;
                if (_lineStarts[mid] <= offset)
                    lo = mid;
                else
                    hi = mid - 1;
            }
            line = lo + 1;
            column = offset - _lineStarts[lo] + 1;
        }
    }
}
