using System.CommandLine;
using System.Text;
using System.Text.Json;
using PromptCache.Tokenizers;

namespace PromptCache.Cli.Commands;

/// <summary>
/// `promptcache tokenize --tokenizer PATH [--add-special-tokens]`: JSON Lines {"text": "..."} on
/// stdin, one JSON array of token ids per line on stdout. Any error (missing file, unsupported
/// tokenizer, bad input line) goes to stderr with exit code 1, naming the line.
/// </summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var tokenizerOption = new Option<string>("--tokenizer")
        {
            Description = "A tokenizer.json, a folder with encoder.json + vocab.bpe (or tokenizer.json), or a .gguf file.",
            Required = true,
        };
        var specialOption = new Option<bool>("--add-special-tokens")
        {
            Description = "Add the tokenizer's special tokens (e.g. BOS), as HF's add_special_tokens=True.",
        };
        var command = new Command("tokenize", "Tokenize JSON Lines {\"text\": ...} from stdin; write one JSON array of ids per line.");
        command.Options.Add(tokenizerOption);
        command.Options.Add(specialOption);
        command.SetAction((ParseResult result, CancellationToken ct) =>
        {
            // Raw UTF-8 streams: invalid input bytes become U+FFFD (as HF's lossy decoding does),
            // and stdout is buffered, not flushed per line.
            using var input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true);
            using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16);
            return Task.FromResult(Run(result.GetValue(tokenizerOption)!, result.GetValue(specialOption), input, output, Console.Error, ct));
        });
        return command;
    }

    internal static int Run(string tokenizerPath, bool addSpecialTokens, TextReader input, TextWriter output, TextWriter error, CancellationToken ct)
    {
        Tokenizer tokenizer;
        try
        {
            tokenizer = Tokenizer.Load(tokenizerPath);
        }
        catch (Exception e) when (e is IOException or TokenizerFormatException or UnauthorizedAccessException or ArgumentException)
        {
            error.WriteLine($"promptcache tokenize: cannot load tokenizer: {e.Message}");
            return 1;
        }

        var line = new StringBuilder();
        int lineNumber = 0;
        string? text;
        while ((text = input.ReadLine()) != null)
        {
            ct.ThrowIfCancellationRequested();
            lineNumber++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            string value;
            try
            {
                using JsonDocument doc = JsonDocument.Parse(text);
                if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("text", out JsonElement t) || t.ValueKind != JsonValueKind.String)
                {
                    output.Flush();
                    error.WriteLine($"promptcache tokenize: stdin line {lineNumber}: expected an object with a string \"text\" member.");
                    return 1;
                }
                value = t.GetString()!;
            }
            catch (JsonException e)
            {
                output.Flush();
                error.WriteLine($"promptcache tokenize: stdin line {lineNumber} is not valid JSON: {e.Message}");
                return 1;
            }
            catch (InvalidOperationException e)
            {
                // e.g. an escaped lone surrogate, which is not text.
                output.Flush();
                error.WriteLine($"promptcache tokenize: stdin line {lineNumber}: \"text\" is not valid Unicode text: {e.Message}");
                return 1;
            }

            IReadOnlyList<int> ids = tokenizer.EncodeToIds(value, addSpecialTokens);
            line.Clear();
            line.Append('[');
            for (int i = 0; i < ids.Count; i++)
            {
                if (i > 0) line.Append(',');
                line.Append(ids[i]);
            }
            line.Append(']');
            output.WriteLine(line.ToString());
        }
        output.Flush();
        return 0;
    }
}
