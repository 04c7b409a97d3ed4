using System.Globalization;
using System.Text;

namespace PromptCache.Generators.Emit;

/// <summary>Turns arbitrary text into C# string literals and XML doc text that always compile.</summary>
internal static class CSharpLiterals
{
    /// <summary>
    /// A regular (escaped) string literal. Verbatim or raw literals would keep the PML readable, but a
    /// regular literal works with every LangVersion a consumer may use and cannot be broken by any content
    /// (raw literals need delimiter counting; verbatim ones keep '\r', which would make the hash OS-dependent).
    /// </summary>
    public static string String(string value)
    {
        var builder = new StringBuilder(value.Length + 2);
        builder.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\0': builder.Append("\\0"); break;
                default:
                    if (char.IsControl(c) || c == '\u2028' || c == '\u2029' || c == '\u0085')
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        builder.Append('"');
        return builder.ToString();
    }

    /// <summary>A string literal, or <c>null</c>.</summary>
    public static string NullableString(string? value) => value is null ? "null" : String(value);

    /// <summary>An <see cref="int"/> literal, culture-independent.</summary>
    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A <see cref="bool"/> literal.</summary>
    public static string Bool(bool value) => value ? "true" : "false";

    /// <summary>Escapes text for an XML doc comment and folds it onto one line (doc comments are line-based).</summary>
    public static string XmlDoc(string text)
    {
        var builder = new StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            switch (c)
            {
                case '<': builder.Append("&lt;"); break;
                case '>': builder.Append("&gt;"); break;
                case '&': builder.Append("&amp;"); break;
                default: builder.Append(c); break;
            }
        }

        return builder.ToString();
    }
}
