using System.Collections.Generic;
using System.Text;
using PromptCache.Pml.Syntax;

namespace PromptCache.Pml.Requests
{
    /// <summary>Renders a <see cref="PromptRequest"/> as the equivalent <c>&lt;prompt&gt;</c> document.</summary>
    internal static class PromptPmlWriter
    {
        private sealed class Node
        {
            public Node(string name, ModuleSelection? selection)
            {
                Name = name;
                Selection = selection;
            }

            public string Name { get; }
            public ModuleSelection? Selection { get; set; }
            public List<Node> Children { get; } = new List<Node>();
        }

        public static string Write(PromptRequest request)
        {
            // Rebuild the nesting from the flat paths; a parent missing from the list is written
            // as a bare reference so that the child keeps its place.
            var root = new Node(string.Empty, null);
            foreach (var selection in request.Modules)
            {
                var node = root;
                for (int i = 0; i < selection.Path.Count; i++)
                {
                    string segment = selection.Path[i];
                    Node? child = null;
                    foreach (var c in node.Children)
                    {
                        if (c.Name == segment)
                        {
                            child = c;
                            break;
                        }
                    }
                    if (child is null)
                    {
                        child = new Node(segment, null);
                        node.Children.Add(child);
                    }
                    node = child;
                }
                node.Selection = selection;
            }

            var sb = new StringBuilder();
            sb.Append("<prompt schema=\"").Append(EscapeAttribute(request.SchemaName)).Append("\">\n");
            foreach (var child in root.Children)
                WriteNode(sb, child, 1);
            foreach (var part in request.Suffix)
            {
                sb.Append("  ");
                if (part.Role is PmlRoleKind role)
                {
                    string tag = RoleTag(role);
                    sb.Append('<').Append(tag).Append('>').Append(EscapeText(part.Text)).Append("</").Append(tag).Append(">\n");
                }
                else
                {
                    sb.Append(EscapeText(part.Text)).Append('\n');
                }
            }
            sb.Append("</prompt>");
            return sb.ToString();
        }

        internal static string RoleTag(PmlRoleKind role) => role switch
        {
            PmlRoleKind.System => "system",
            PmlRoleKind.User => "user",
            _ => "assistant",
        };

        private static void WriteNode(StringBuilder sb, Node node, int depth)
        {
            sb.Append(' ', depth * 2).Append('<').Append(node.Name);
            if (node.Selection is not null)
            {
                foreach (var argument in node.Selection.Arguments)
                    sb.Append(' ').Append(argument.ParameterName).Append("=\"").Append(EscapeAttribute(argument.Value)).Append('"');
            }
            if (node.Children.Count == 0)
            {
                sb.Append("/>\n");
                return;
            }
            sb.Append(">\n");
            foreach (var child in node.Children)
                WriteNode(sb, child, depth + 1);
            sb.Append(' ', depth * 2).Append("</").Append(node.Name).Append(">\n");
        }

        internal static string EscapeText(string text) =>
            text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

        internal static string EscapeAttribute(string text) =>
            EscapeText(text).Replace("\"", "&quot;").Replace("\n", "&#10;").Replace("\r", "&#13;").Replace("\t", "&#9;");
    }
}
