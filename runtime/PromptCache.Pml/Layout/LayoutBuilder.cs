using System.Collections.Generic;
using PromptCache.Pml.Syntax;

namespace PromptCache.Pml.Layout
{
    /// <summary>Flattens a schema tree into layout elements, marking the default scaffold path.</summary>
    internal static class LayoutBuilder
    {
        public static SchemaLayout Build(PmlSchema schema)
        {
            var elements = new List<LayoutElement>();
            AddChildren(elements, schema.Children, new List<string>(), 0, onDefaultPath: true);
            return new SchemaLayout(schema.Name, schema.ContentHash, new EquatableArray<LayoutElement>(elements), schema.Location);
        }

        private static void AddChildren(List<LayoutElement> elements, EquatableArray<PmlNode> children, List<string> path, int depth, bool onDefaultPath)
        {
            foreach (var child in children)
            {
                switch (child)
                {
                    case PmlText text:
                        elements.Add(Simple(LayoutElementKind.Text, depth, path, null, text.Text, null, onDefaultPath, text.Location));
                        break;
                    case PmlRole role:
                        elements.Add(Simple(LayoutElementKind.RoleBegin, depth, path, null, null, role.Role, onDefaultPath, role.Location));
                        AddChildren(elements, role.Children, path, depth, onDefaultPath);
                        elements.Add(Simple(LayoutElementKind.RoleEnd, depth, path, null, null, role.Role, onDefaultPath, role.Location));
                        break;
                    case PmlParameter parameter:
                        elements.Add(new LayoutElement(
                            LayoutElementKind.Parameter, depth, Path(path), parameter.Name, null, null, parameter.Length, parameter.Scaffold,
                            false, false, onDefaultPath, EquatableArray<string>.Empty, null, parameter.Location));
                        break;
                    case PmlModule module:
                        AddModule(elements, module, path, depth, isUnionMember: false, onDefaultPath);
                        break;
                    case PmlUnion union:
                        var names = new List<string>();
                        foreach (var m in union.Members)
                            names.Add(m.Name);
                        elements.Add(new LayoutElement(
                            LayoutElementKind.UnionStart, depth, Path(path), null, null, null, 0, null,
                            false, false, onDefaultPath, new EquatableArray<string>(names), union.ScaffoldMember, union.Location));
                        foreach (var member in union.Members)
                            AddModule(elements, member, path, depth, isUnionMember: true, onDefaultPath && member.Name == union.ScaffoldMember);
                        elements.Add(new LayoutElement(
                            LayoutElementKind.UnionEnd, depth, Path(path), null, null, null, 0, null,
                            false, false, onDefaultPath, EquatableArray<string>.Empty, union.ScaffoldMember, union.Location));
                        break;
                }
            }
        }

        private static void AddModule(List<LayoutElement> elements, PmlModule module, List<string> path, int depth, bool isUnionMember, bool onDefaultPath)
        {
            path.Add(module.Name);
            var modulePath = Path(path);
            elements.Add(new LayoutElement(
                LayoutElementKind.ModuleStart, depth, modulePath, module.Name, null, null, 0, null,
                module.Cache, isUnionMember, onDefaultPath, EquatableArray<string>.Empty, null, module.Location));
            AddChildren(elements, module.Children, path, depth + 1, onDefaultPath);
            elements.Add(new LayoutElement(
                LayoutElementKind.ModuleEnd, depth, modulePath, module.Name, null, null, 0, null,
                module.Cache, isUnionMember, onDefaultPath, EquatableArray<string>.Empty, null, module.Location));
            path.RemoveAt(path.Count - 1);
        }

        private static LayoutElement Simple(LayoutElementKind kind, int depth, List<string> path, string? name, string? text, PmlRoleKind? role, bool onDefaultPath, PmlLocation location) =>
            new LayoutElement(kind, depth, Path(path), name, text, role, 0, null, false, false, onDefaultPath, EquatableArray<string>.Empty, null, location);

        private static EquatableArray<string> Path(List<string> path) => new EquatableArray<string>(path);
    }
}
