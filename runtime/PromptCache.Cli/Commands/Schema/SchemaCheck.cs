using PromptCache.Pml;
using PromptCache.Pml.Layout;

namespace PromptCache.Cli.Commands.Schema;

/// <summary>`promptcache schema check`: MSBuild-format diagnostics for each file.</summary>
public static class SchemaCheck
{
    /// <summary>
    /// Checks every file; returns 1 when any has an error (or cannot be read), else 0. With a
    /// <paramref name="binding"/>, schemas without syntax errors are also bound, which adds the
    /// token-count rules (scaffold longer than slot, schema longer than the context window).
    /// </summary>
    public static int Run(IReadOnlyList<string> files, TextWriter output, TextWriter error, TokenBinding? binding = null)
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
            var diagnostics = new List<PmlDiagnostic>(result.Diagnostics);
            if (binding is not null && result.Schema is not null && !result.HasErrors)
                diagnostics.AddRange(binding.Bind(SchemaLayout.Build(result.Schema)).Diagnostics);

            foreach (var diagnostic in diagnostics)
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
