using System.CommandLine;

namespace PromptCache.Cli.Commands;

/// <summary>`promptcache schema`: not implemented yet.</summary>
internal static class SchemaCommand
{
    public static Command Create()
    {
        var command = new Command("schema", "(not implemented yet)");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("promptcache schema: not implemented yet.");
            return 2;
        });
        return command;
    }
}
