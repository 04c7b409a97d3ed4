using System.CommandLine;

namespace PromptCache.Cli.Commands;

/// <summary>`promptcache tokenize`: not implemented yet.</summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var command = new Command("tokenize", "(not implemented yet)");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("promptcache tokenize: not implemented yet.");
            return 2;
        });
        return command;
    }
}
