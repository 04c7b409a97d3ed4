using System.Collections.Generic;

namespace PromptCache.Pml.Parsing
{
    /// <summary>A node of the lenient markup tree (before PML meaning is applied).</summary>
    internal abstract class MarkupNode
    {
        protected MarkupNode(int start, int end)
        {
            Start = start;
            End = end;
        }

        /// <summary>Offset of the first raw character.</summary>
        public int Start { get; }

        /// <summary>Offset just after the last raw character.</summary>
        public int End { get; set; }
    }

    /// <summary>Character data: text, entities and CDATA, already decoded.</summary>
    internal sealed class MarkupText : MarkupNode
    {
        public MarkupText(string value, int start, int end)
            : base(start, end)
        {
            Value = value;
        }

        public string Value { get; set; }
    }

    /// <summary>An attribute with the spans of its name and value.</summary>
    internal sealed class MarkupAttribute
    {
        public MarkupAttribute(string name, int nameStart, string value, int valueStart, int valueEnd)
        {
            Name = name;
            NameStart = nameStart;
            Value = value;
            ValueStart = valueStart;
            ValueEnd = valueEnd;
        }

        public string Name { get; }
        public int NameStart { get; }
        public string Value { get; }

        /// <summary>Start of the value inside the quotes.</summary>
        public int ValueStart { get; }

        /// <summary>End of the value inside the quotes.</summary>
        public int ValueEnd { get; }
    }

    /// <summary>An element: start tag, attributes, children, and where it ends.</summary>
    internal sealed class MarkupElement : MarkupNode
    {
        public MarkupElement(string name, int start, int nameStart, int startTagEnd, List<MarkupAttribute> attributes, bool selfClosing)
            : base(start, startTagEnd)
        {
            Name = name;
            NameStart = nameStart;
            StartTagEnd = startTagEnd;
            Attributes = attributes;
            SelfClosing = selfClosing;
        }

        public string Name { get; }
        public int NameStart { get; }
        public int StartTagEnd { get; }
        public List<MarkupAttribute> Attributes { get; }
        public bool SelfClosing { get; }
        public List<MarkupNode> Children { get; } = new List<MarkupNode>();

        public MarkupAttribute? Attribute(string name)
        {
            foreach (var a in Attributes)
            {
                if (a.Name == name)
                    return a;
            }
            return null;
        }
    }
}
