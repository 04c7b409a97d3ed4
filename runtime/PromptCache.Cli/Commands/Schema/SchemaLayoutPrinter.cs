using PromptCache.Pml.Layout;

namespace PromptCache.Cli.Commands.Schema;

/// <summary>`promptcache schema layout`: the structural layout as an indented tree or JSON.</summary>
public static class SchemaLayoutPrinter
{
    /// <summary>Prints the layout of <paramref name="path"/>, with token offsets when <paramref name="binding"/> is given; returns 1 on errors.</summary>
    public static int Run(string path, bool json, TextWriter output, TextWriter error, TokenBinding? binding = null)
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
        var bound = binding?.Bind(layout);
        if (bound is not null)
        {
            foreach (var diagnostic in bound.Diagnostics)
                error.WriteLine(diagnostic.ToString());
        }
        if (json)
            LayoutJsonWriter.Write(layout, bound, output);
        else
            LayoutTextWriter.Write(layout, bound, output);
        return bound is not null && bound.HasErrors ? 1 : 0;
    }
}
