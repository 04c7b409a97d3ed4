using System.Collections.Generic;

namespace PromptCache.Pml.Parsing
{
    internal enum MarkupTokenKind
    {
        Text,
        StartTag,
        EndTag,
    }

    /// <summary>One lexical unit: decoded text, a start tag, or an end tag (comments and PIs are dropped).</summary>
    internal sealed class MarkupToken
    {
        private MarkupToken(MarkupTokenKind kind, int start, int end)
        {
            Kind = kind;
            Start = start;
            End = end;
        }

        public MarkupTokenKind Kind { get; }
        public int Start { get; }
        public int End { get; }
        public string Text { get; private set; } = string.Empty;
        public string Name { get; private set; } = string.Empty;
        public int NameStart { get; private set; }
        public List<MarkupAttribute> Attributes { get; private set; } = new List<MarkupAttribute>();
        public bool SelfClosing { get; private set; }

        public static MarkupToken ForText(string text, int start, int end) =>
            new MarkupToken(MarkupTokenKind.Text, start, end) { Text = text };

        public static MarkupToken ForStartTag(string name, int start, int nameStart, int end, List<MarkupAttribute> attributes, bool selfClosing) =>
            new MarkupToken(MarkupTokenKind.StartTag, start, end) { Name = name, NameStart = nameStart, Attributes = attributes, SelfClosing = selfClosing };

        public static MarkupToken ForEndTag(string name, int start, int nameStart, int end) =>
            new MarkupToken(MarkupTokenKind.EndTag, start, end) { Name = name, NameStart = nameStart };
    }
}
