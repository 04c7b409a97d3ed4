using System.Collections.Generic;
using PromptCache.Pml.Layout;
using PromptCache.Pml.Syntax;

namespace PromptCache.Pml.Requests
{
    /// <summary>
    /// Checks a <see cref="PromptRequest"/> against its schema: module paths exist (errors list the
    /// valid names), arguments name real parameters, at most one member per union, no module twice,
    /// and (with a token counter) every argument fits its slot. A selected module whose parent is not
    /// selected is accepted: the parent is implied.
    /// </summary>
    public static class PromptRequestValidator
    {
        /// <summary>Validates <paramref name="request"/> against <paramref name="schema"/>.</summary>
        /// <param name="request">The request.</param>
        /// <param name="schema">The schema it targets.</param>
        /// <param name="tokenCounter">When given, arguments are also checked against their slot lengths.</param>
        public static EquatableArray<PmlDiagnostic> Validate(PromptRequest request, PmlSchema schema, ITokenCounter? tokenCounter = null) =>
            new EquatableArray<PmlDiagnostic>(ValidateCore(request, schema, tokenCounter, null, null));

        /// <summary>A module in a scope, and the union it is a member of (if any).</summary>
        private sealed class ScopeEntry
        {
            public ScopeEntry(PmlModule module, PmlUnion? union)
            {
                Module = module;
                Union = union;
            }

            public PmlModule Module { get; }
            public PmlUnion? Union { get; }
        }

        internal static List<PmlDiagnostic> ValidateCore(
            PromptRequest request, PmlSchema schema, ITokenCounter? tokenCounter, IReadOnlyList<SelectionSite>? sites, PmlLocation? schemaNameLocation)
        {
            var diagnostics = new List<PmlDiagnostic>();
            if (request.SchemaName != schema.Name)
                diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.PromptSchemaMismatch, schemaNameLocation ?? PmlLocation.None, request.SchemaName, schema.Name));

            var rootScope = Scope(schema.Children);
            var seen = new HashSet<string>();
            // Union identity is the union node plus the parent path (equal nodes can appear in different parents).
            var unionChoices = new Dictionary<string, string>();

            for (int i = 0; i < request.Modules.Count; i++)
            {
                var selection = request.Modules[i];
                var site = sites is not null && i < sites.Count ? sites[i] : null;
                var location = site?.Element ?? PmlLocation.None;

                if (!seen.Add(selection.PathString))
                {
                    diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.DuplicateModuleReference, location, selection.PathString));
                    continue;
                }

                var scope = rootScope;
                ScopeEntry? entry = null;
                string where = "schema '" + schema.Name + "'";
                bool resolved = true;
                for (int s = 0; s < selection.Path.Count; s++)
                {
                    string segment = selection.Path[s];
                    if (!scope.TryGetValue(segment, out entry))
                    {
                        diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.UnknownModuleReference, location, segment, where, Names(scope.Keys)));
                        resolved = false;
                        break;
                    }
                    if (entry.Union is not null)
                    {
                        string key = JoinPath(selection.Path, s) + "#" + entry.Union.Location.Start + ":" + entry.Union.GetHashCode();
                        if (unionChoices.TryGetValue(key, out var chosen))
                        {
                            if (chosen != segment)
                            {
                                diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.ConflictingUnionSelection, location, chosen, segment));
                                resolved = false;
                                break;
                            }
                        }
                        else
                        {
                            unionChoices.Add(key, segment);
                        }
                    }
                    where = "module '" + JoinPath(selection.Path, s + 1) + "'";
                    scope = Scope(entry.Module.Children);
                }
                if (!resolved || entry is null)
                    continue;

                var parameters = Parameters(entry.Module.Children);
                for (int a = 0; a < selection.Arguments.Count; a++)
                {
                    var argument = selection.Arguments[a];
                    var argumentLocation = site is not null && a < site.Arguments.Count ? site.Arguments[a] : location;
                    if (!parameters.TryGetValue(argument.ParameterName, out var parameter))
                    {
                        diagnostics.Add(PmlDiagnostic.Create(
                            PmlDiagnostics.UnknownParameter, argumentLocation, selection.PathString, argument.ParameterName, Names(parameters.Keys)));
                        continue;
                    }
                    if (tokenCounter is not null)
                    {
                        int tokens = tokenCounter.CountTokens(argument.Value);
                        if (tokens > parameter.Length)
                        {
                            diagnostics.Add(PmlDiagnostic.Create(
                                PmlDiagnostics.ArgumentLongerThanSlot, argumentLocation, argument.ParameterName, selection.PathString, tokens, parameter.Length));
                        }
                    }
                }
            }
            return diagnostics;
        }

        private static Dictionary<string, ScopeEntry> Scope(EquatableArray<PmlNode> children)
        {
            var scope = new Dictionary<string, ScopeEntry>();
            AddScope(scope, children);
            return scope;
        }

        private static void AddScope(Dictionary<string, ScopeEntry> scope, EquatableArray<PmlNode> children)
        {
            foreach (var child in children)
            {
                switch (child)
                {
                    case PmlModule module:
                        if (!scope.ContainsKey(module.Name))
                            scope.Add(module.Name, new ScopeEntry(module, null));
                        break;
                    case PmlUnion union:
                        foreach (var member in union.Members)
                        {
                            if (!scope.ContainsKey(member.Name))
                                scope.Add(member.Name, new ScopeEntry(member, union));
                        }
                        break;
                    case PmlRole role:
                        AddScope(scope, role.Children);
                        break;
                }
            }
        }

        private static Dictionary<string, PmlParameter> Parameters(EquatableArray<PmlNode> children)
        {
            var result = new Dictionary<string, PmlParameter>();
            AddParameters(result, children);
            return result;
        }

        private static void AddParameters(Dictionary<string, PmlParameter> result, EquatableArray<PmlNode> children)
        {
            foreach (var child in children)
            {
                if (child is PmlParameter p && !result.ContainsKey(p.Name))
                    result.Add(p.Name, p);
                else if (child is PmlRole role)
                    AddParameters(result, role.Children);
            }
        }

        private static string Names(IEnumerable<string> names)
        {
            var list = new List<string>(names);
            return list.Count == 0 ? "(none)" : string.Join(", ", list.ToArray());
        }

        private static string JoinPath(EquatableArray<string> path, int count)
        {
            var parts = new string[count];
            for (int i = 0; i < count; i++)
                parts[i] = path[i];
            return string.Join("/", parts);
        }
    }
}
