using System.Collections.Generic;
using PromptCache.Pml.Layout;
using PromptCache.Pml.Requests;
using PromptCache.Pml.Syntax;

namespace PromptCache.Pml.Parsing
{
    /// <summary>
    /// Reads a <c>&lt;prompt schema="..."&gt;</c> document: nested module references with their
    /// arguments, then the trailing free text and role tags that form the uncached suffix.
    /// </summary>
    internal sealed class PromptParser
    {
        private readonly SourceText _source;
        private readonly List<PmlDiagnostic> _diagnostics = new List<PmlDiagnostic>();
        private readonly List<ModuleSelection> _selections = new List<ModuleSelection>();
        private readonly List<SelectionSite> _sites = new List<SelectionSite>();

        private PromptParser(SourceText source)
        {
            _source = source;
        }

        public static PmlPromptParseResult Parse(string text, string filePath, PmlSchema? schema, ITokenCounter? tokenCounter) =>
            new PromptParser(new SourceText(text, filePath)).Run(schema, tokenCounter);

        private PmlPromptParseResult Run(PmlSchema? schema, ITokenCounter? tokenCounter)
        {
            var root = DocumentReader.ReadRoot(_source, PmlNames.PromptStrict, _diagnostics);
            if (root is null)
                return new PmlPromptParseResult(null, DocumentReader.Sorted(_diagnostics));
            if (root.Name != PmlNames.Prompt)
            {
                _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.RootNotPrompt, NameLocation(root), root.Name));
                return new PmlPromptParseResult(null, DocumentReader.Sorted(_diagnostics));
            }

            var schemaAttribute = root.Attribute("schema");
            string schemaName = schemaAttribute?.Value ?? string.Empty;
            if (schemaAttribute is null)
                _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.MissingRequiredAttribute, NameLocation(root), "prompt", "schema"));
            foreach (var attribute in root.Attributes)
            {
                if (attribute.Name != "schema")
                    _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.UnknownAttribute, _source.Location(attribute.NameStart, attribute.Name.Length), attribute.Name, "prompt", "schema"));
            }

            // Everything up to the last module reference must be references; what follows is the suffix.
            int lastReference = -1;
            for (int i = 0; i < root.Children.Count; i++)
            {
                if (root.Children[i] is MarkupElement e && !PmlNames.TryRole(e.Name, out _))
                    lastReference = i;
            }

            var suffix = new List<PromptSuffixPart>();
            for (int i = 0; i < root.Children.Count; i++)
            {
                var child = root.Children[i];
                if (i < lastReference)
                {
                    if (child is MarkupText text)
                    {
                        if (!WhitespaceRule.IsBlank(text.Value))
                            _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.TextBeforeLastReference, TrimmedLocation(text)));
                        continue;
                    }
                    var element = (MarkupElement)child;
                    if (PmlNames.TryRole(element.Name, out _))
                    {
                        _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.TextBeforeLastReference, NameLocation(element)));
                        continue;
                    }
                    AddReference(element, new List<string>());
                }
                else if (i == lastReference)
                {
                    AddReference((MarkupElement)child, new List<string>());
                }
                else
                {
                    AddSuffixPart(child, suffix);
                }
            }

            var request = new PromptRequest(schemaName, schema?.ContentHash ?? string.Empty, new EquatableArray<ModuleSelection>(_selections), new EquatableArray<PromptSuffixPart>(suffix));
            if (schema is not null)
            {
                var schemaLocation = schemaAttribute is null ? NameLocation(root) : _source.LocationFromTo(schemaAttribute.ValueStart, schemaAttribute.ValueEnd);
                _diagnostics.AddRange(PromptRequestValidator.ValidateCore(request, schema, tokenCounter, _sites, schemaLocation));
            }
            return new PmlPromptParseResult(request, DocumentReader.Sorted(_diagnostics));
        }

        private void AddReference(MarkupElement element, List<string> parentPath)
        {
            var path = new List<string>(parentPath) { element.Name };
            var arguments = new List<PromptArgument>();
            var argumentLocations = new List<PmlLocation>();
            foreach (var attribute in element.Attributes)
            {
                arguments.Add(new PromptArgument(attribute.Name, attribute.Value));
                argumentLocations.Add(_source.Location(attribute.NameStart, attribute.Name.Length));
            }
            _selections.Add(new ModuleSelection(path, arguments));
            _sites.Add(new SelectionSite(NameLocation(element), argumentLocations));

            foreach (var child in element.Children)
            {
                if (child is MarkupText text)
                {
                    if (!WhitespaceRule.IsBlank(text.Value))
                        _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.TextInsideModuleReference, TrimmedLocation(text), element.Name));
                    continue;
                }
                var nested = (MarkupElement)child;
                if (PmlNames.TryRole(nested.Name, out _))
                {
                    _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.TextInsideModuleReference, NameLocation(nested), element.Name));
                    continue;
                }
                AddReference(nested, path);
            }
        }

        private void AddSuffixPart(MarkupNode child, List<PromptSuffixPart> suffix)
        {
            if (child is MarkupText text)
            {
                // Blank runs between suffix parts carry nothing; dropping them keeps requests tidy.
                if (!WhitespaceRule.IsBlank(text.Value))
                    suffix.Add(PromptSuffixPart.Plain(WhitespaceRule.Apply(text.Value) ?? string.Empty));
                return;
            }
            var element = (MarkupElement)child;
            PmlNames.TryRole(element.Name, out var role);
            var content = new System.Text.StringBuilder();
            foreach (var inner in element.Children)
            {
                if (inner is MarkupText t)
                    content.Append(t.Value);
                else
                    _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.TextBeforeLastReference, NameLocation((MarkupElement)inner)));
            }
            suffix.Add(new PromptSuffixPart(role, WhitespaceRule.Apply(content.ToString()) ?? string.Empty));
        }

        private PmlLocation NameLocation(MarkupElement element) => _source.Location(element.NameStart, element.Name.Length);

        private PmlLocation TrimmedLocation(MarkupText text)
        {
            int start = text.Start;
            while (start < text.End && char.IsWhiteSpace(_source.Text[start]))
                start++;
            return _source.LocationFromTo(start, text.End);
        }
    }
}
