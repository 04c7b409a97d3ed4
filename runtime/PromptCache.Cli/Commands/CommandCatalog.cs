using System.CommandLine;

namespace PromptCache.Cli.Commands;

/// <summary>Every top-level command of the tool, in the order `--help` lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return SchemaCommand.Create();
        yield return TokenizeCommand.Create();
        yield return GenerateCommand.Create();
        yield return LogitsCommand.Create();
        yield return RunCommand.Create();
        yield return BenchCommand.Create();
    }
}
