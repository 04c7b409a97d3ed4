using PromptCache.Pml.Syntax;

namespace PromptCache.Pml.Tests.Support;

/// <summary>Small helpers to walk parse results in assertions.</summary>
internal static class Tree
{
    public static PmlSchema ParseValid(string text, string path = "test.pml", Func<string, string?>? resolve = null)
    {
        var result = PmlParser.ParseSchema(text, path, resolve);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics.Select(d => d.ToString())));
        Assert.NotNull(result.Schema);
        return result.Schema!;
    }

    public static IEnumerable<PmlNode> Descendants(IEnumerable<PmlNode> nodes)
    {
        foreach (var node in nodes)
        {
            yield return node;
            IEnumerable<PmlNode> children = node switch
            {
                PmlModule m => m.Children,
                PmlRole r => r.Children,
                PmlUnion u => u.Members.Cast<PmlNode>(),
                _ => Array.Empty<PmlNode>(),
            };
            foreach (var d in Descendants(children))
                yield return d;
        }
    }

    public static IEnumerable<PmlNode> Descendants(PmlSchema schema) => Descendants(schema.Children);

    public static PmlModule Module(PmlSchema schema, string name) =>
        Descendants(schema).OfType<PmlModule>().First(m => m.Name == name);
}
