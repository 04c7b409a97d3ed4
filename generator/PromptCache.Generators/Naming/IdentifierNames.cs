using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace PromptCache.Generators.Naming;

/// <summary>
/// Maps PML names (<c>^[a-zA-Z_][a-zA-Z0-9_\-.]*$</c>) onto C# identifiers. The mapping is lossy on
/// purpose (<c>travel-plan</c> and <c>travel_plan</c> both become <c>TravelPlan</c>), so callers check the
/// results for collisions and report them instead of emitting code that would not compile.
/// </summary>
internal static class IdentifierNames
{
    /// <summary><c>travel-plan</c> -> <c>TravelPlan</c>; <c>young.adult_2</c> -> <c>YoungAdult2</c>.</summary>
    public static string ToPascalCase(string name)
    {
        var builder = new StringBuilder(name.Length);
        var upperNext = true;
        foreach (var c in name)
        {
            if (!IsIdentifierPart(c))
            {
                upperNext = true;
                continue;
            }

            builder.Append(upperNext ? char.ToUpperInvariant(c) : c);
            upperNext = false;
        }

        // A name made only of separators ("_") or one that starts with a digit after them ("_1") still
        // needs a valid identifier.
        if (builder.Length == 0 || char.IsDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        return builder.ToString();
    }

    /// <summary><c>city-name</c> -> <c>cityName</c>; C# keywords get an <c>@</c> (<c>class</c> -> <c>@class</c>).</summary>
    public static string ToCamelCase(string name)
    {
        var pascal = ToPascalCase(name);
        var camel = pascal[0] == '_' ? pascal : char.ToLowerInvariant(pascal[0]) + pascal.Substring(1);
        return EscapeKeyword(camel);
    }

    /// <summary>Prefixes reserved keywords with <c>@</c> so they can be used as identifiers.</summary>
    public static string EscapeKeyword(string identifier) =>
        SyntaxFacts.GetKeywordKind(identifier) != SyntaxKind.None ? "@" + identifier : identifier;

    /// <summary>The generated class name of a schema: <c>travel</c> -> <c>TravelPrompt</c>.</summary>
    public static string SchemaTypeName(string schemaName)
    {
        var pascal = ToPascalCase(schemaName);
        return pascal.EndsWith("Prompt", System.StringComparison.Ordinal) ? pascal : pascal + "Prompt";
    }

    /// <summary>Turns one folder name into a namespace segment the way the SDK does for RootNamespace-relative names.</summary>
    public static string NamespaceSegment(string folder)
    {
        var builder = new StringBuilder(folder.Length + 1);
        foreach (var c in folder)
        {
            builder.Append(IsIdentifierPart(c) ? c : '_');
        }

        if (builder.Length == 0 || char.IsDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        return EscapeKeyword(builder.ToString());
    }

    /// <summary>True when <paramref name="name"/> is a dotted sequence of valid C# identifiers.</summary>
    public static bool IsValidNamespace(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (var part in name.Split('.'))
        {
            var plain = part.StartsWith("@", System.StringComparison.Ordinal) ? part.Substring(1) : part;
            if (!SyntaxFacts.IsValidIdentifier(plain))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsIdentifierPart(char c) => c < 128 ? char.IsLetterOrDigit(c) : SyntaxFacts.IsIdentifierPartCharacter(c);
}
