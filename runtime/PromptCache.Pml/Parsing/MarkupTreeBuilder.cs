using System.Collections.Generic;

namespace PromptCache.Pml.Parsing
{
    /// <summary>
    /// Builds the element tree from tokens. Elements PML defines (the strict names) must nest
    /// exactly; an element with another name that is never closed (think <c>List&lt;int&gt;</c> in a
    /// code sample) is turned back into text with a warning, as lxml's recovery effectively does.
    /// </summary>
    internal sealed class MarkupTreeBuilder
    {
        /// <summary>
        /// Deepest element nesting accepted. Later stages walk the tree recursively, and a stack
        /// overflow cannot be caught: it would take the compiler down. Real schemas nest a few levels.
        /// </summary>
        internal const int MaxDepth = 200;

        private readonly SourceText _source;
        private readonly ISet<string> _strictNames;
        private readonly List<PmlDiagnostic> _diagnostics;

        public MarkupTreeBuilder(SourceText source, ISet<string> strictNames, List<PmlDiagnostic> diagnostics)
        {
            _source = source;
            _strictNames = strictNames;
            _diagnostics = diagnostics;
        }

        /// <summary>Returns a synthetic document element whose children are the top-level nodes.</summary>
        public MarkupElement Build(List<MarkupToken> tokens)
        {
            var document = new MarkupElement("#document", 0, 0, 0, new List<MarkupAttribute>(), false);
            var stack = new List<MarkupElement> { document };

            foreach (var token in tokens)
            {
                var current = stack[stack.Count - 1];
                switch (token.Kind)
                {
                    case MarkupTokenKind.Text:
                        current.Children.Add(new MarkupText(token.Text, token.Start, token.End));
                        break;
                    case MarkupTokenKind.StartTag:
                        if (stack.Count > MaxDepth)
                        {
                            _diagnostics.Add(PmlDiagnostic.Create(
                                PmlDiagnostics.MalformedMarkup, _source.Location(token.NameStart, token.Name.Length),
                                "Elements are nested more than " + MaxDepth + " levels deep; the rest of the file is ignored"));
                            CloseAllSilently(stack);
                            MergeText(document);
                            return document;
                        }
                        var element = new MarkupElement(token.Name, token.Start, token.NameStart, token.End, token.Attributes, token.SelfClosing);
                        current.Children.Add(element);
                        if (!token.SelfClosing)
                            stack.Add(element);
                        break;
                    case MarkupTokenKind.EndTag:
                        CloseElement(stack, token);
                        break;
                }
            }

            while (stack.Count > 1)
                PopUnclosed(stack);
            MergeText(document);
            return document;
        }

        private static void CloseAllSilently(List<MarkupElement> stack)
        {
            for (int i = stack.Count - 1; i >= 1; i--)
                stack[i].End = stack[i].Children.Count > 0 ? stack[i].Children[stack[i].Children.Count - 1].End : stack[i].StartTagEnd;
            stack.RemoveRange(1, stack.Count - 1);
        }

        private void CloseElement(List<MarkupElement> stack, MarkupToken token)
        {
            int match = -1;
            for (int i = stack.Count - 1; i >= 1; i--)
            {
                if (stack[i].Name == token.Name)
                {
                    match = i;
                    break;
                }
            }

            if (match < 0)
            {
                if (_strictNames.Contains(token.Name))
                {
                    string open = stack.Count > 1 ? stack[stack.Count - 1].Name : "(none)";
                    _diagnostics.Add(PmlDiagnostic.Create(
                        PmlDiagnostics.MismatchedClosingTag, _source.Location(token.NameStart, token.Name.Length), token.Name, open));
                    return;
                }
                // A stray closing tag of no PML element ("</int>" in code): keep it as text.
                _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.BareMarkupCharacter, _source.Location(token.Start, 1), "<", "&lt;"));
                stack[stack.Count - 1].Children.Add(new MarkupText(_source.Slice(token.Start, token.End), token.Start, token.End));
                return;
            }

            // If a PML element sits between the top and the match, the closing tag is mismatched
            // (e.g. </schema> while a <module> is still open): report it at the closing tag, and
            // each PML element it implicitly closes at its start tag, where the fix goes.
            for (int i = stack.Count - 1; i > match; i--)
            {
                if (_strictNames.Contains(stack[i].Name))
                {
                    _diagnostics.Add(PmlDiagnostic.Create(
                        PmlDiagnostics.MismatchedClosingTag, _source.Location(token.NameStart, token.Name.Length), token.Name, stack[i].Name));
                    break;
                }
            }
            while (stack.Count - 1 > match)
                PopUnclosed(stack);
            stack[match].End = token.End;
            stack.RemoveAt(match);
        }

        private void PopUnclosed(List<MarkupElement> stack)
        {
            var element = stack[stack.Count - 1];
            stack.RemoveAt(stack.Count - 1);
            var parent = stack[stack.Count - 1];
            if (_strictNames.Contains(element.Name))
            {
                _diagnostics.Add(PmlDiagnostic.Create(
                    PmlDiagnostics.UnclosedElement, _source.Location(element.NameStart, element.Name.Length), element.Name));
                element.End = element.Children.Count > 0 ? element.Children[element.Children.Count - 1].End : element.StartTagEnd;
                return;
            }

            // Unknown and never closed: the start tag was text all along. Splice it back.
            _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.BareMarkupCharacter, _source.Location(element.Start, 1), "<", "&lt;"));
            int index = parent.Children.IndexOf(element);
            var replacement = new List<MarkupNode> { new MarkupText(_source.Slice(element.Start, element.StartTagEnd), element.Start, element.StartTagEnd) };
            replacement.AddRange(element.Children);
            parent.Children.RemoveAt(index);
            parent.Children.InsertRange(index, replacement);
        }

        private static void MergeText(MarkupElement element)
        {
            var merged = new List<MarkupNode>();
            foreach (var child in element.Children)
            {
                if (child is MarkupText text && merged.Count > 0 && merged[merged.Count - 1] is MarkupText previous)
                {
                    previous.Value += text.Value;
                    previous.End = text.End;
                    continue;
                }
                if (child is MarkupElement e)
                    MergeText(e);
                merged.Add(child);
            }
            element.Children.Clear();
            element.Children.AddRange(merged);
        }
    }
}
