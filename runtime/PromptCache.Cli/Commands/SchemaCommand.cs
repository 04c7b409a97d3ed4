using System.CommandLine;
using PromptCache.Cli.Commands.Schema;

namespace PromptCache.Cli.Commands;

/// <summary>
/// `promptcache schema`: check PML schemas and show their structural layout, with the same parser
/// and rules the source generator uses, so the two never disagree.
/// </summary>
public static class SchemaCommand
{
    /// <summary>Builds the `schema` command with its `check` and `layout` subcommands.</summary>
    public static Command Create()
    {
        var command = new Command("schema", "Check PML schemas and show their layout.");
        command.Subcommands.Add(CreateCheck());
        command.Subcommands.Add(CreateLayout());
        return command;
    }

    private static Command CreateCheck()
    {
        var files = new Argument<string[]>("files")
        {
            Description = "One or more .pml files.",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("check", "Print every diagnostic in MSBuild format; exit 1 if there is any error.");
        command.Arguments.Add(files);
        command.SetAction(result => SchemaCheck.Run(result.GetValue(files) ?? Array.Empty<string>(), Console.Out, Console.Error));
        return command;
    }

    private static Command CreateLayout()
    {
        var file = new Argument<string>("file") { Description = "A .pml file." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of an indented tree." };
        var command = new Command("layout", "Print the structural layout: modules, unions, parameter slots, cacheable or not.");
        command.Arguments.Add(file);
        command.Options.Add(json);
        command.SetAction(result => SchemaLayoutPrinter.Run(result.GetValue(file) ?? string.Empty, result.GetValue(json), Console.Out, Console.Error));
        return command;
    }
}
