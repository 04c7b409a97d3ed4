using PromptCache.Engine.Binding;
using PromptCache.Pml.Requests;
using PromptCache.Pml.Syntax;

namespace PromptCache.Engine.Execution;

/// <summary>
/// The request <see cref="PromptCacheEngine.RehearseAsync"/> runs for a schema: its default path (every module,
/// each union's scaffold member, the modules inside them likewise), every parameter filled with its scaffold text
/// (or one character), and a short suffix. It does every kind of work a real call does: cached segments, argument
/// rows that see the modules only below them, uncached modules, the suffix, then decoding.
/// </summary>
internal static class RehearsalRequest
{
    public const string Suffix = " This is a warm-up request.";

    public static PromptRequest For(BoundSchema schema)
    {
        var selections = new List<ModuleSelection>();
        Walk(schema.Schema.Children, [], selections);
        return new PromptRequest(schema.Name, schema.Schema.ContentHash, selections, [PromptSuffixPart.Plain(Suffix)]);
    }

    private static void Walk(IEnumerable<PmlNode> nodes, string[] parent, List<ModuleSelection> into)
    {
        foreach (var node in nodes)
        {
            switch (node)
            {
                case PmlModule module:
                    Select(module, parent, into);
                    break;
                case PmlUnion union when union.Members.FirstOrDefault(m => m.Name == union.ScaffoldMember) is { } member:
                    Select(member, parent, into);
                    break;
                case PmlRole role:
                    Walk(role.Children, parent, into); // roles are not part of a module's path
                    break;
            }
        }
    }

    private static void Select(PmlModule module, string[] parent, List<ModuleSelection> into)
    {
        string[] path = [.. parent, module.Name];
        var arguments = module.Children.OfType<PmlParameter>().Select(p => new PromptArgument(p.Name, p.Scaffold ?? "x"));
        into.Add(new ModuleSelection(path, arguments));
        Walk(module.Children, path, into);
    }
}
