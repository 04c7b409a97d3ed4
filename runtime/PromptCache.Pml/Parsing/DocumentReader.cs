using System.Collections.Generic;

namespace PromptCache.Pml.Parsing
{
    /// <summary>Lexes and builds the markup tree of a whole document, and finds its single root element.</summary>
    internal static class DocumentReader
    {
        public static MarkupElement? ReadRoot(SourceText source, ISet<string> strictNames, List<PmlDiagnostic> diagnostics)
        {
            var tokens = new MarkupLexer(source, strictNames, diagnostics).Lex();
            var document = new MarkupTreeBuilder(source, strictNames, diagnostics).Build(tokens);

            MarkupElement? root = null;
            foreach (var node in document.Children)
            {
                if (node is MarkupText text)
                {
                    if (!WhitespaceRule.IsBlank(text.Value))
                    {
                        diagnostics.Add(PmlDiagnostic.Create(
                            PmlDiagnostics.MalformedMarkup, source.Location(FirstNonBlank(source, text), 1), "Text outside the root element"));
                    }
                }
                else if (node is MarkupElement element)
                {
                    if (root is null)
                        root = element;
                    else
                    {
                        diagnostics.Add(PmlDiagnostic.Create(
                            PmlDiagnostics.MalformedMarkup, source.Location(element.NameStart, element.Name.Length),
                            "Only one root element is allowed, but <" + element.Name + "> follows <" + root.Name + ">"));
                    }
                }
            }

            if (root is null)
                diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.MalformedMarkup, source.Location(0, 0), "The document has no root element"));
            return root;
        }

        private static int FirstNonBlank(SourceText source, MarkupText text)
        {
            for (int i = text.Start; i < text.End; i++)
            {
                if (!char.IsWhiteSpace(source.Text[i]))
                    return i;
            }
            return text.Start;
        }

        /// <summary>Sorts diagnostics by position (stable), so output reads top to bottom.</summary>
        public static EquatableArray<PmlDiagnostic> Sorted(List<PmlDiagnostic> diagnostics)
        {
            var indexed = new List<KeyValuePair<int, PmlDiagnostic>>();
            for (int i = 0; i < diagnostics.Count; i++)
                indexed.Add(new KeyValuePair<int, PmlDiagnostic>(i, diagnostics[i]));
            indexed.Sort((x, y) =>
            {
                int c = x.Value.Location.Start.CompareTo(y.Value.Location.Start);
                return c != 0 ? c : x.Key.CompareTo(y.Key);
            });
            var result = new PmlDiagnostic[indexed.Count];
            for (int i = 0; i < result.Length; i++)
                result[i] = indexed[i].Value;
            return new EquatableArray<PmlDiagnostic>(result);
        }
    }
}
