using PromptCache.Pml.Layout;

namespace PromptCache.Cli.Commands.Schema;

/// <summary>Writes a layout as an indented tree a person can read at a glance.</summary>
public static class LayoutTextWriter
{
    private const int TextPreview = 48;

    /// <summary>Writes <paramref name="layout"/> to <paramref name="output"/>.</summary>
    public static void Write(SchemaLayout layout, TextWriter output)
    {
        output.WriteLine($"schema {layout.SchemaName}  (content hash {layout.ContentHash})");
        int indent = 1;
        foreach (var e in layout.Elements)
        {
            string pad = new(' ', indent * 2);
            switch (e.Kind)
            {
                case LayoutElementKind.RoleBegin:
                    output.WriteLine($"{pad}{e.Role.ToString()!.ToLowerInvariant()}");
                    indent++;
                    break;
                case LayoutElementKind.ModuleStart:
                    string flags = (e.IsCacheable ? "cached" : "not cached") + (e.IsOnDefaultPath ? ", default path" : string.Empty);
                    output.WriteLine($"{pad}module {e.Name}  [{flags}]");
                    indent++;
                    break;
                case LayoutElementKind.UnionStart:
                    output.WriteLine($"{pad}union  (one of {e.UnionMembers.Count}; default {e.UnionDefaultMember})");
                    indent++;
                    break;
                case LayoutElementKind.Parameter:
                    string scaffold = e.Scaffold is null ? string.Empty : $", scaffold \"{e.Scaffold}\"";
                    output.WriteLine($"{pad}parameter {e.Name}  [{e.ParameterLength} tokens{scaffold}]");
                    break;
                case LayoutElementKind.Text:
                    // Whitespace-only segments still take a position, but showing them adds only noise.
                    string text = (e.Text ?? string.Empty).Trim();
                    if (text.Length > 0)
                        output.WriteLine($"{pad}text \"{Preview(text)}\"  ({e.Text!.Length} chars)");
                    break;
                case LayoutElementKind.RoleEnd:
                case LayoutElementKind.ModuleEnd:
                case LayoutElementKind.UnionEnd:
                    indent--;
                    break;
            }
        }
    }

    private static string Preview(string text)
    {
        string oneLine = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return oneLine.Length <= TextPreview ? oneLine : oneLine[..TextPreview] + "...";
    }
}
