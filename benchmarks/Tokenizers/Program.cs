using System.Diagnostics;
using System.Globalization;
using System.Text;
using PromptCache.Benchmarks.Tokenizers;
using PromptCache.Tokenizers;

// Tokenizer benchmark: load time and single-thread encode throughput, median of N runs.
// Usage:
//   dotnet run -c Release --project benchmarks/Tokenizers -- --tokenizer PATH [--text FILE]
//        [--runs N] [--size-mb N] [--seed N] [--write-corpus FILE]
// Without --text, a deterministic mixed corpus (English, code, CJK) of --size-mb MB is generated;
// --write-corpus saves it so hf_bench.py can time HF tokenizers on exactly the same text.
var options = Options.Parse(args);
if (options == null) return 2;

string text;
if (options.TextPath != null)
{
    text = File.ReadAllText(options.TextPath, Encoding.UTF8);
}
else
{
    text = MixedCorpus.Generate((int)(options.SizeMb * 1024 * 1024), options.Seed);
    if (options.WriteCorpus != null)
    {
        File.WriteAllText(options.WriteCorpus, text, new UTF8Encoding(false));
        Console.WriteLine($"corpus written to {options.WriteCorpus}");
    }
}
int textBytes = Encoding.UTF8.GetByteCount(text);

// Load time: the first load includes JIT; the median of the later ones is the steady figure.
var loadTimes = new List<double>();
Tokenizer tokenizer = null!;
Tokenizer previous = null!;
for (int i = 0; i < options.Runs + 1; i++)
{
    previous = tokenizer;
    var sw = Stopwatch.StartNew();
    tokenizer = Tokenizer.Load(options.TokenizerPath);
    loadTimes.Add(sw.Elapsed.TotalMilliseconds);
    GC.Collect();
}
double firstLoad = loadTimes[0];
loadTimes.RemoveAt(0);

// First encode ever: JIT and an empty word cache. Then a fresh tokenizer (empty cache, JIT warm).
var first = Stopwatch.StartNew();
int tokens = previous.EncodeToIds(text).Count;
double firstEncodeMs = first.Elapsed.TotalMilliseconds;
GC.Collect();
var cold = Stopwatch.StartNew();
if (tokenizer.EncodeToIds(text).Count != tokens) throw new InvalidOperationException("non-deterministic token count");
double coldMs = cold.Elapsed.TotalMilliseconds;
var encodeTimes = new List<double>();
for (int i = 0; i < options.Runs; i++)
{
    GC.Collect();
    var sw = Stopwatch.StartNew();
    int n = tokenizer.EncodeToIds(text).Count;
    encodeTimes.Add(sw.Elapsed.TotalMilliseconds);
    if (n != tokens) throw new InvalidOperationException("non-deterministic token count");
}

double median = Median(encodeTimes);
double mb = textBytes / (1024.0 * 1024.0);
Console.WriteLine();
Console.WriteLine($"tokenizer: {options.TokenizerPath}");
Console.WriteLine($"text: {(options.TextPath ?? $"generated mixed corpus, seed {options.Seed}")}, {textBytes:N0} bytes, {text.Length:N0} chars, {tokens:N0} tokens");
Console.WriteLine($"runtime: {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {Environment.ProcessorCount} logical CPUs, single thread");
Console.WriteLine();
Console.WriteLine("| metric | value |");
Console.WriteLine("|---|---|");
Console.WriteLine($"| load time, first (ms) | {firstLoad:F1} |");
Console.WriteLine($"| load time, median of {options.Runs} (ms) | {Median(loadTimes):F1} |");
Console.WriteLine($"| encode, first call incl. JIT (MB/s) | {mb / (firstEncodeMs / 1000):F2} |");
Console.WriteLine($"| encode, empty word cache (MB/s) | {mb / (coldMs / 1000):F2} |");
Console.WriteLine($"| encode, median of {options.Runs} (ms) | {median:F1} |");
Console.WriteLine($"| encode, median (MB/s) | {mb / (median / 1000):F2} |");
Console.WriteLine($"| encode, median (tokens/s) | {tokens / (median / 1000):N0} |");
Console.WriteLine($"| encode, min..max (ms) | {encodeTimes.Min():F1}..{encodeTimes.Max():F1} |");
return 0;

static double Median(List<double> values)
{
    var sorted = values.OrderBy(v => v).ToList();
    int n = sorted.Count;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

internal sealed class Options
{
    public string TokenizerPath { get; private set; } = "";
    public string? TextPath { get; private set; }
    public string? WriteCorpus { get; private set; }
    public int Runs { get; private set; } = 7;
    public double SizeMb { get; private set; } = 2;
    public ulong Seed { get; private set; } = 20241122;

    public static Options? Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--tokenizer": o.TokenizerPath = Value(); break;
                case "--text": o.TextPath = Value(); break;
                case "--write-corpus": o.WriteCorpus = Value(); break;
                case "--runs": o.Runs = Math.Max(5, int.Parse(Value(), CultureInfo.InvariantCulture)); break;
                case "--size-mb": o.SizeMb = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--seed": o.Seed = ulong.Parse(Value(), CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}");
                    Usage();
                    return null;
            }
        }
        if (o.TokenizerPath.Length == 0)
        {
            Usage();
            return null;
        }
        return o;
    }

    private static void Usage() => Console.Error.WriteLine(
        "usage: --tokenizer PATH [--text FILE | --size-mb N --seed N [--write-corpus FILE]] [--runs N>=5]");
}
