using System.CommandLine;
using PromptCache.Cli.Commands;

// The `promptcache` tool. Each command lives in its own file under Commands/.
var root = new RootCommand("PromptCache for .NET: PML schemas, tokenizers and modular attention reuse.");
foreach (Command command in CommandCatalog.All())
    root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
