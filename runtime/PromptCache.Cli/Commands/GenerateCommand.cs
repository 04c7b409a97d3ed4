using System.CommandLine;

namespace PromptCache.Cli.Commands;

/// <summary>`promptcache generate`: not implemented yet.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var command = new Command("generate", "(not implemented yet)");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("promptcache generate: not implemented yet.");
            return 2;
        });
        return command;
    }
}
