using System;

namespace PromptCache.Pml
{
    /// <summary>
    /// A span in a PML file: a character range plus its 1-based line and column, so diagnostics can
    /// point at the exact element or attribute (MSBuild, Roslyn and editors all want both forms).
    /// </summary>
    public sealed class PmlLocation : IEquatable<PmlLocation>
    {
        /// <summary>Creates a location.</summary>
        /// <param name="filePath">The file the span is in (may be empty for requests built in code).</param>
        /// <param name="start">0-based character offset of the first character.</param>
        /// <param name="length">Number of characters.</param>
        /// <param name="line">1-based line of the first character.</param>
        /// <param name="column">1-based column of the first character.</param>
        /// <param name="endLine">1-based line of the character just after the span.</param>
        /// <param name="endColumn">1-based column of the character just after the span.</param>
        public PmlLocation(string filePath, int start, int length, int line, int column, int endLine, int endColumn)
        {
            FilePath = filePath ?? string.Empty;
            Start = start;
            Length = length;
            Line = line;
            Column = column;
            EndLine = endLine;
            EndColumn = endColumn;
        }

        /// <summary>A location for things that come from no file (for example a request built in code).</summary>
        public static PmlLocation None { get; } = new PmlLocation(string.Empty, 0, 0, 0, 0, 0, 0);

        /// <summary>The file the span is in; empty when there is none.</summary>
        public string FilePath { get; }

        /// <summary>0-based character offset of the first character.</summary>
        public int Start { get; }

        /// <summary>Number of characters in the span.</summary>
        public int Length { get; }

        /// <summary>1-based line of the first character (0 for <see cref="None"/>).</summary>
        public int Line { get; }

        /// <summary>1-based column of the first character (0 for <see cref="None"/>).</summary>
        public int Column { get; }

        /// <summary>1-based line just after the span.</summary>
        public int EndLine { get; }

        /// <summary>1-based column just after the span.</summary>
        public int EndColumn { get; }

        /// <summary>True for <see cref="None"/>-like locations that name no line.</summary>
        public bool IsNone => Line == 0;

        /// <inheritdoc/>
        public bool Equals(PmlLocation? other) =>
            other is not null
            && FilePath == other.FilePath
            && Start == other.Start
            && Length == other.Length
            && Line == other.Line
            && Column == other.Column
            && EndLine == other.EndLine
            && EndColumn == other.EndColumn;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as PmlLocation);

        /// <inheritdoc/>
        public override int GetHashCode() =>
            HashCombiner.Combine(FilePath.GetHashCode(), Start, Length, Line, Column);

        /// <summary>`path(line,col)`, the MSBuild form.</summary>
        public override string ToString() => FilePath + "(" + Line + "," + Column + ")";
    }
}
