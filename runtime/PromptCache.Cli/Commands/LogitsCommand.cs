using System.CommandLine;
using PromptCache.Cli.Commands.Inference;
using PromptCache.Runtime.Inference;

namespace PromptCache.Cli.Commands;

/// <summary>
/// `promptcache logits --model PATH --request FILE.json`: vocabulary logits of a query attending to
/// separately encoded segments. A debugging tool and the contract for parity checks.
/// </summary>
internal static class LogitsCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "A Hugging Face model folder or a .gguf file.", Required = true };
        var request = new Option<string>("--request")
        {
            Description = "JSON: {\"segments\":[{\"ids\":[..],\"positions\":[..]},...], \"query\":{\"ids\":[..],\"positions\":[..]}}. '-' reads stdin.",
            Required = true,
        };
        var command = new Command("logits", "Print the logits of a query over separately encoded K/V segments, one row per query token.");
        command.Options.Add(model);
        command.Options.Add(request);
        command.SetAction((ParseResult r, CancellationToken ct) => Task.FromResult(Run(r.GetValue(model)!, r.GetValue(request)!, ct)));
        return command;
    }

    private static int Run(string modelPath, string requestPath, CancellationToken ct)
    {
        try
        {
            string json = requestPath == "-" ? Console.In.ReadToEnd() : File.ReadAllText(requestPath);
            var request = LogitsRequest.Parse(json, requestPath == "-" ? "stdin" : requestPath);
            using var llm = LlamaModel.Load(modelPath);
            var result = LogitsRunner.Run(llm, request, ct);
            using var stdout = Console.OpenStandardOutput();
            LogitsRunner.Write(result, stdout);
            stdout.WriteByte((byte)'\n');
            return 0;
        }
        catch (Exception e) when (e is FormatException or IOException or InvalidDataException or NotSupportedException or ArgumentException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"promptcache logits: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("promptcache logits: cancelled.");
            return 130;
        }
    }
}
