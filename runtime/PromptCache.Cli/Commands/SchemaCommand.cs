using System.CommandLine;
using PromptCache.Cli.Commands.Schema;

namespace PromptCache.Cli.Commands;

/// <summary>
/// `promptcache schema`: check PML schemas and show their layout, with the same parser and rules
/// the source generator uses, so the two never disagree.
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

    /// <summary>The options that bind a schema to a tokenizer; shared by both subcommands.</summary>
    private sealed class BindingOptions
    {
        public Option<string?> Tokenizer { get; } = new("--tokenizer")
        {
            Description = "A tokenizer (tokenizer.json, GPT-2 folder or .gguf): adds token offsets and the token-count rules.",
        };

        public Option<string?> ChatFormat { get; } = new("--chat-format")
        {
            Description = "Role-marker format when the tokenizer's chat template is not recognised: llama2, llama3, chatml, mistral.",
        };

        public Option<int?> ContextLength { get; } = new("--context-length")
        {
            Description = "The model's context window: a longer schema is an error (needs --tokenizer).",
        };

        public void AddTo(Command command)
        {
            command.Options.Add(Tokenizer);
            command.Options.Add(ChatFormat);
            command.Options.Add(ContextLength);
        }

        /// <summary>False when a tokenizer was asked for but could not be loaded.</summary>
        public bool TryLoad(ParseResult result, out TokenBinding? binding)
        {
            binding = null;
            string? path = result.GetValue(Tokenizer);
            if (path is null)
            {
                if (result.GetValue(ContextLength) is not null)
                    Console.Error.WriteLine("promptcache: --context-length needs --tokenizer; ignored.");
                return true;
            }
            binding = TokenBinding.Load(path, result.GetValue(ChatFormat), result.GetValue(ContextLength), Console.Error);
            return binding is not null;
        }
    }

    private static Command CreateCheck()
    {
        var files = new Argument<string[]>("files")
        {
            Description = "One or more .pml files.",
            Arity = ArgumentArity.OneOrMore,
        };
        var binding = new BindingOptions();
        var command = new Command("check", "Print every diagnostic in MSBuild format; exit 1 if there is any error.");
        command.Arguments.Add(files);
        binding.AddTo(command);
        command.SetAction(result =>
            binding.TryLoad(result, out var tokens)
                ? SchemaCheck.Run(result.GetValue(files) ?? Array.Empty<string>(), Console.Out, Console.Error, tokens)
                : 1);
        return command;
    }

    private static Command CreateLayout()
    {
        var file = new Argument<string>("file") { Description = "A .pml file." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of an indented tree." };
        var binding = new BindingOptions();
        var command = new Command("layout", "Print the structural layout: modules, unions, parameter slots, cacheable or not.");
        command.Arguments.Add(file);
        command.Options.Add(json);
        binding.AddTo(command);
        command.SetAction(result =>
            binding.TryLoad(result, out var tokens)
                ? SchemaLayoutPrinter.Run(result.GetValue(file) ?? string.Empty, result.GetValue(json), Console.Out, Console.Error, tokens)
                : 1);
        return command;
    }
}
