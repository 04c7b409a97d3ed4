using PromptCache.Pml;
using PromptCache.Pml.Layout;

namespace PromptCache.Cli.Commands.Schema;

/// <summary>`promptcache schema layout`: the structural layout as an indented tree or JSON.</summary>
public static class SchemaLayoutPrinter
{
    /// <summary>Prints the layout of <paramref name="path"/>; returns 1 when the schema has errors.</summary>
    public static int Run(string path, bool json, TextWriter output, TextWriter error)
    {
        var result = SchemaFile.Parse(path, error);
        if (result is null)
            return 1;
        foreach (var diagnostic in result.Diagnostics)
            error.WriteLine(diagnostic.ToString());
        if (result.HasErrors || result.Schema is null)
        {
            error.WriteLine($"promptcache: '{path}' has errors; no layout printed.");
            return 1;
        }

        var layout = SchemaLayout.Build(result.Schema);
        if (json)
            LayoutJsonWriter.Write(layout, output);
        else
            LayoutTextWriter.Write(layout, output);
        return 0;
    }
}
