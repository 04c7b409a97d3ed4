using System.Text.Encodings.Web;
using System.Text.Json;
using PromptCache.Pml.Layout;

namespace PromptCache.Cli.Commands.Schema;

/// <summary>Writes a layout as nested JSON (the flat element list, re-nested by its start/end markers).</summary>
public static class LayoutJsonWriter
{
    /// <summary>Writes <paramref name="layout"/> to <paramref name="output"/>, with offsets and lengths when <paramref name="bound"/> is given.</summary>
    public static void Write(SchemaLayout layout, BoundLayout? bound, TextWriter output)
    {
        using var stream = new MemoryStream();
        var options = new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var json = new Utf8JsonWriter(stream, options))
        {
            json.WriteStartObject();
            json.WriteString("schema", layout.SchemaName);
            json.WriteString("contentHash", layout.ContentHash);
            if (bound is not null)
                json.WriteNumber("totalLength", bound.TotalLength);
            json.WriteStartArray("defaultPath");
            foreach (var path in layout.DefaultPath)
                json.WriteStringValue(path);
            json.WriteEndArray();
            json.WriteStartArray("children");
            for (int i = 0; i < layout.Elements.Count; i++)
                WriteElement(json, layout.Elements[i], bound?.Elements[i]);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static void WriteElement(Utf8JsonWriter json, LayoutElement e, BoundElement? bound)
    {
        // Offsets go right after "kind" of every element that opens (ends only close arrays).
        void Range()
        {
            if (bound is null)
                return;
            json.WriteNumber("offset", bound.Offset);
            json.WriteNumber("length", bound.Length);
        }

        switch (e.Kind)
        {
            case LayoutElementKind.Text:
                json.WriteStartObject();
                json.WriteString("kind", "text");
                Range();
                json.WriteString("text", e.Text);
                json.WriteEndObject();
                break;
            case LayoutElementKind.RoleBegin:
                json.WriteStartObject();
                json.WriteString("kind", "role");
                if (bound is not null)
                {
                    // A role's own range is that of its begin marker; its content follows.
                    json.WriteNumber("markerOffset", bound.Offset);
                    json.WriteNumber("markerLength", bound.Length);
                }
                json.WriteString("role", e.Role.ToString()!.ToLowerInvariant());
                json.WriteStartArray("children");
                break;
            case LayoutElementKind.ModuleStart:
                json.WriteStartObject();
                json.WriteString("kind", "module");
                Range();
                json.WriteString("name", e.Name);
                json.WriteString("path", e.ModulePathString);
                json.WriteBoolean("cacheable", e.IsCacheable);
                json.WriteBoolean("unionMember", e.IsUnionMember);
                json.WriteBoolean("defaultPath", e.IsOnDefaultPath);
                json.WriteStartArray("children");
                break;
            case LayoutElementKind.UnionStart:
                json.WriteStartObject();
                json.WriteString("kind", "union");
                Range();
                json.WriteString("default", e.UnionDefaultMember);
                json.WriteStartArray("members");
                foreach (var m in e.UnionMembers)
                    json.WriteStringValue(m);
                json.WriteEndArray();
                json.WriteStartArray("children");
                break;
            case LayoutElementKind.Parameter:
                json.WriteStartObject();
                json.WriteString("kind", "parameter");
                Range();
                json.WriteString("name", e.Name);
                json.WriteNumber("length", e.ParameterLength);
                if (e.Scaffold is null)
                    json.WriteNull("scaffold");
                else
                    json.WriteString("scaffold", e.Scaffold);
                json.WriteEndObject();
                break;
            case LayoutElementKind.RoleEnd:
            case LayoutElementKind.ModuleEnd:
            case LayoutElementKind.UnionEnd:
                json.WriteEndArray();
                json.WriteEndObject();
                break;
        }
    }
}
