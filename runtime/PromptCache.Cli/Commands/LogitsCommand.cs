using System.CommandLine;

namespace PromptCache.Cli.Commands;

/// <summary>`promptcache logits`: not implemented yet.</summary>
internal static class LogitsCommand
{
    public static Command Create()
    {
        var command = new Command("logits", "(not implemented yet)");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("promptcache logits: not implemented yet.");
            return 2;
        });
        return command;
    }
}
