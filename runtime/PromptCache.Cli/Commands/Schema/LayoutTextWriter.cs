using PromptCache.Pml.Layout;

namespace PromptCache.Cli.Commands.Schema;

/// <summary>Writes a layout as an indented tree a person can read at a glance.</summary>
public static class LayoutTextWriter
{
    private const int TextPreview = 48;

    /// <summary>Writes <paramref name="layout"/> to <paramref name="output"/>, with token ranges when <paramref name="bound"/> is given.</summary>
    public static void Write(SchemaLayout layout, BoundLayout? bound, TextWriter output)
    {
        string total = bound is null ? string.Empty : $", {bound.TotalLength} tokens";
        output.WriteLine($"schema {layout.SchemaName}  (content hash {layout.ContentHash}{total})");
        int indent = 1;
        for (int i = 0; i < layout.Elements.Count; i++)
        {
            var e = layout.Elements[i];
            string pad = new(' ', indent * 2);
            string at = bound is null ? string.Empty : $"  @{bound.Elements[i].Offset}+{bound.Elements[i].Length}";
            switch (e.Kind)
            {
                case LayoutElementKind.RoleBegin:
                    output.WriteLine($"{pad}{e.Role.ToString()!.ToLowerInvariant()}{(bound is null ? string.Empty : $"  (begin marker @{bound.Elements[i].Offset}+{bound.Elements[i].Length})")}");
                    indent++;
                    break;
                case LayoutElementKind.ModuleStart:
                    string flags = (e.IsCacheable ? "cached" : "not cached") + (e.IsOnDefaultPath ? ", default path" : string.Empty);
                    output.WriteLine($"{pad}module {e.Name}  [{flags}]{at}");
                    indent++;
                    break;
                case LayoutElementKind.UnionStart:
                    output.WriteLine($"{pad}union  (one of {e.UnionMembers.Count}; default {e.UnionDefaultMember}){at}");
                    indent++;
                    break;
                case LayoutElementKind.Parameter:
                    string scaffold = e.Scaffold is null ? string.Empty : $", scaffold \"{e.Scaffold}\"";
                    output.WriteLine($"{pad}parameter {e.Name}  [{e.ParameterLength} tokens{scaffold}]{at}");
                    break;
                case LayoutElementKind.Text:
                    // Whitespace-only segments still take a position, but showing them adds only noise.
                    string text = (e.Text ?? string.Empty).Trim();
                    if (text.Length > 0)
                        output.WriteLine($"{pad}text \"{Preview(text)}\"  ({e.Text!.Length} chars){at}");
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
