using PromptCache.Pml;

namespace PromptCache.Cli.Commands.Schema;

/// <summary>`promptcache schema check`: MSBuild-format diagnostics for each file.</summary>
public static class SchemaCheck
{
    /// <summary>Checks every file; returns 1 when any has an error (or cannot be read), else 0.</summary>
    public static int Run(IReadOnlyList<string> files, TextWriter output, TextWriter error)
    {
        int errors = 0, warnings = 0;
        foreach (string path in files)
        {
            var result = SchemaFile.Parse(path, error);
            if (result is null)
            {
                errors++;
                continue;
            }
            foreach (var diagnostic in result.Diagnostics)
            {
                output.WriteLine(diagnostic.ToString());
                if (diagnostic.Severity == PmlSeverity.Error)
                    errors++;
                else if (diagnostic.Severity == PmlSeverity.Warning)
                    warnings++;
            }
        }
        error.WriteLine($"{files.Count} file(s) checked: {errors} error(s), {warnings} warning(s).");
        return errors > 0 ? 1 : 0;
    }
}
