using System;
using System.Collections.Generic;
using System.Globalization;
using PromptCache.Pml.Syntax;

namespace PromptCache.Pml.Parsing
{
    /// <summary>Gives the markup tree its PML meaning (schema side) and enforces the reference's rules.</summary>
    internal sealed class SchemaParser
    {
        private static readonly string[] SchemaAttributes = { "name" };
        private static readonly string[] ModuleAttributes = { "name", "cache", "src" };
        private static readonly string[] ParameterAttributes = { "name", "length", "scaffold" };
        private static readonly string[] UnionAttributes = { "scaffold" };
        private static readonly string[] RoleAttributes = new string[0];

        private readonly SourceText _source;
        private readonly Func<string, string?>? _resolveSource;
        private readonly List<PmlDiagnostic> _diagnostics = new List<PmlDiagnostic>();
        private readonly List<string> _loadedSources = new List<string>();

        private SchemaParser(SourceText source, Func<string, string?>? resolveSource)
        {
            _source = source;
            _resolveSource = resolveSource;
        }

        /// <summary>Names already used in one scope, with where each was first defined.</summary>
        private sealed class Scope
        {
            public Dictionary<string, PmlLocation> Modules { get; } = new Dictionary<string, PmlLocation>();
            public Dictionary<string, PmlLocation> Parameters { get; } = new Dictionary<string, PmlLocation>();
            public string ModuleName { get; set; } = string.Empty;
            public bool IsSchemaRoot { get; set; }
        }

        public static PmlSchemaParseResult Parse(string text, string filePath, Func<string, string?>? resolveSource) =>
            new SchemaParser(new SourceText(text, filePath), resolveSource).Run();

        private PmlSchemaParseResult Run()
        {
            var root = DocumentReader.ReadRoot(_source, PmlNames.SchemaStrict, _diagnostics);
            if (root is null)
                return Result(null);
            if (root.Name != PmlNames.Schema)
            {
                _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.RootNotSchema, NameLocation(root), root.Name));
                return Result(null);
            }

            CheckAttributes(root, SchemaAttributes);
            string name = RequiredName(root, "Schema", out var nameLocation);
            var scope = new Scope { IsSchemaRoot = true, ModuleName = name };
            var children = BuildChildren(root, scope, null);
            string hash = PmlContentHash.Compute(_source.Text, _loadedSources);
            var schema = new PmlSchema(name, children, StartTag(root), nameLocation, hash);
            return Result(schema);
        }

        private PmlSchemaParseResult Result(PmlSchema? schema) =>
            new PmlSchemaParseResult(schema, DocumentReader.Sorted(_diagnostics));

        private EquatableArray<PmlNode> BuildChildren(MarkupElement parent, Scope scope, string? enclosingRole)
        {
            var nodes = new List<PmlNode>();
            foreach (var child in parent.Children)
            {
                if (child is MarkupText text)
                {
                    string? value = WhitespaceRule.Apply(text.Value);
                    if (value is not null)
                        nodes.Add(new PmlText(value, _source.LocationFromTo(text.Start, text.End)));
                    continue;
                }

                var element = (MarkupElement)child;
                switch (element.Name)
                {
                    case PmlNames.Module:
                        nodes.Add(BuildModule(element, scope));
                        break;
                    case PmlNames.Union:
                        var union = BuildUnion(element, scope);
                        if (union is not null)
                            nodes.Add(union);
                        break;
                    case PmlNames.Parameter:
                        if (scope.IsSchemaRoot)
                        {
                            var attribute = element.Attribute("name");
                            _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.ParameterUnderSchema, NameLocation(element), attribute?.Value ?? string.Empty));
                            break;
                        }
                        var parameter = BuildParameter(element, scope);
                        if (parameter is not null)
                            nodes.Add(parameter);
                        break;
                    case PmlNames.Schema:
                        _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.MalformedMarkup, NameLocation(element), "<schema> may only be the root element"));
                        break;
                    default:
                        if (PmlNames.TryRole(element.Name, out var role))
                        {
                            CheckAttributes(element, RoleAttributes);
                            if (enclosingRole is not null)
                                _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.NestedRoleTag, NameLocation(element), element.Name, enclosingRole));
                            // Role tags are transparent for scoping: the reference replaces them textually.
                            var roleChildren = BuildChildren(element, scope, element.Name);
                            nodes.Add(new PmlRole(role, roleChildren, StartTag(element)));
                            break;
                        }
                        // The reference turns an unknown element into its literal markup; so do we.
                        _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.UnknownElement, NameLocation(element), element.Name));
                        nodes.Add(new PmlText(_source.Slice(element.Start, element.End), _source.LocationFromTo(element.Start, element.End)));
                        break;
                }
            }
            return new EquatableArray<PmlNode>(nodes);
        }

        private PmlModule BuildModule(MarkupElement element, Scope parentScope)
        {
            CheckAttributes(element, ModuleAttributes);
            string name = RequiredName(element, "Module", out var nameLocation);
            if (name.Length > 0)
            {
                if (parentScope.Modules.TryGetValue(name, out var first))
                    _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.DuplicateModuleName, nameLocation, name, first.Line));
                else
                    parentScope.Modules.Add(name, nameLocation);
            }

            bool cache = true;
            var cacheAttribute = element.Attribute("cache");
            if (cacheAttribute is not null)
            {
                if (cacheAttribute.Value == "false")
                    cache = false;
                else if (cacheAttribute.Value != "true")
                    _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.InvalidCacheValue, ValueLocation(cacheAttribute), cacheAttribute.Value));
            }

            var srcAttribute = element.Attribute("src");
            var scope = new Scope { ModuleName = name };
            EquatableArray<PmlNode> children;
            if (srcAttribute is not null)
            {
                if (HasInlineContent(element))
                    _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.SourceWithInlineContent, NameLocation(element), name));
                children = LoadSource(name, srcAttribute);
            }
            else
            {
                children = BuildChildren(element, scope, null);
            }
            return new PmlModule(name, cache, srcAttribute?.Value, children, StartTag(element), nameLocation);
        }

        private EquatableArray<PmlNode> LoadSource(string moduleName, MarkupAttribute src)
        {
            if (_resolveSource is null)
                return EquatableArray<PmlNode>.Empty;
            string? content;
            try
            {
                content = _resolveSource(src.Value);
            }
            catch (Exception)
            {
                // A resolver that throws (bad path characters, IO error) means "not found" here.
                content = null;
            }
            if (content is null)
            {
                _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.MissingSourceFile, ValueLocation(src), moduleName, src.Value));
                return EquatableArray<PmlNode>.Empty;
            }
            _loadedSources.Add(content);
            string? text = WhitespaceRule.Apply(content);
            return text is null
                ? EquatableArray<PmlNode>.Empty
                : EquatableArray.Create<PmlNode>(new PmlText(text, ValueLocation(src)));
        }

        private static bool HasInlineContent(MarkupElement element)
        {
            foreach (var child in element.Children)
            {
                if (child is MarkupElement || (child is MarkupText t && !WhitespaceRule.IsBlank(t.Value)))
                    return true;
            }
            return false;
        }

        private PmlUnion? BuildUnion(MarkupElement element, Scope parentScope)
        {
            CheckAttributes(element, UnionAttributes);
            var members = new List<PmlModule>();
            foreach (var child in element.Children)
            {
                if (child is MarkupText text)
                {
                    // The reference drops text between members; warn when that loses real content.
                    if (!WhitespaceRule.IsBlank(text.Value))
                        _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.TextInUnionIgnored, TextLocation(text)));
                    continue;
                }
                var e = (MarkupElement)child;
                if (e.Name != PmlNames.Module)
                {
                    _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.NonModuleInUnion, NameLocation(e), e.Name));
                    continue;
                }
                // Members count in the parent's scope: a prompt selects them by name there.
                members.Add(BuildModule(e, parentScope));
            }

            if (members.Count == 0)
            {
                _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.EmptyUnion, NameLocation(element)));
                return new PmlUnion(null, EquatableArray<PmlModule>.Empty, StartTag(element));
            }

            // Default member: the explicit scaffold, else the first member (as the reference does).
            string scaffold = members[0].Name;
            var scaffoldAttribute = element.Attribute("scaffold");
            if (scaffoldAttribute is not null)
            {
                bool found = false;
                var names = new List<string>();
                foreach (var m in members)
                {
                    names.Add(m.Name);
                    if (m.Name == scaffoldAttribute.Value)
                        found = true;
                }
                if (found)
                    scaffold = scaffoldAttribute.Value;
                else
                    _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.UnknownUnionScaffold, ValueLocation(scaffoldAttribute), scaffoldAttribute.Value, string.Join(", ", names.ToArray())));
            }
            return new PmlUnion(scaffold, new EquatableArray<PmlModule>(members), StartTag(element));
        }

        private PmlParameter? BuildParameter(MarkupElement element, Scope scope)
        {
            CheckAttributes(element, ParameterAttributes);
            string name = RequiredName(element, "Parameter", out var nameLocation);
            if (name.Length > 0)
            {
                if (scope.Parameters.TryGetValue(name, out var first))
                    _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.DuplicateParameterName, nameLocation, name, scope.ModuleName, first.Line));
                else
                    scope.Parameters.Add(name, nameLocation);
            }

            int length = 1;
            var lengthAttribute = element.Attribute("length");
            if (lengthAttribute is null)
            {
                _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.MissingParameterLength, NameLocation(element), name));
            }
            else
            {
                string raw = lengthAttribute.Value.Trim();
                bool digitsOnly = raw.Length > 0;
                foreach (char c in raw)
                    digitsOnly &= c >= '0' && c <= '9';
                if (digitsOnly && int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) && parsed > 0)
                    length = parsed;
                else
                    _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.InvalidParameterLength, ValueLocation(lengthAttribute), name, lengthAttribute.Value));
            }

            if (HasInlineContent(element))
                _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.MalformedMarkup, NameLocation(element), "<parameter> cannot have content; write <parameter .../>"));

            return new PmlParameter(name, length, element.Attribute("scaffold")?.Value, StartTag(element));
        }

        private string RequiredName(MarkupElement element, string kind, out PmlLocation location)
        {
            var attribute = element.Attribute("name");
            if (attribute is null)
            {
                _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.MissingRequiredAttribute, NameLocation(element), element.Name, "name"));
                location = NameLocation(element);
                return string.Empty;
            }
            location = ValueLocation(attribute);
            if (!PmlNames.IsValidName(attribute.Value))
                _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.InvalidName, location, kind, attribute.Value));
            return attribute.Value;
        }

        private void CheckAttributes(MarkupElement element, string[] known)
        {
            foreach (var attribute in element.Attributes)
            {
                if (Array.IndexOf(known, attribute.Name) >= 0 || attribute.Name.StartsWith("xmlns", StringComparison.Ordinal))
                    continue;
                string list = known.Length == 0 ? "(none)" : string.Join(", ", known);
                _diagnostics.Add(PmlDiagnostic.Create(
                    PmlDiagnostics.UnknownAttribute, _source.Location(attribute.NameStart, attribute.Name.Length), attribute.Name, element.Name, list));
            }
        }

        private PmlLocation NameLocation(MarkupElement element) => _source.Location(element.NameStart, element.Name.Length);

        private PmlLocation StartTag(MarkupElement element) => _source.LocationFromTo(element.Start, element.StartTagEnd);

        private PmlLocation ValueLocation(MarkupAttribute attribute) => _source.LocationFromTo(attribute.ValueStart, attribute.ValueEnd);

        private PmlLocation TextLocation(MarkupText text)
        {
            int start = text.Start;
            while (start < text.End && char.IsWhiteSpace(_source.Text[start]))
                start++;
            return _source.LocationFromTo(start, text.End);
        }
    }
}
