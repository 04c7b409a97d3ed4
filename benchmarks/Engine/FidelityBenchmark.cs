using System.Globalization;
using PromptCache.Engine;
using PromptCache.Pml.Requests;
using PromptCache.Runtime.Generation;

namespace PromptCache.Benchmarks.Engine;

/// <summary>
/// How much a non-prefix layout changes the model's output, on a real trained model (stories260K):
/// each prompt skips union members and/or leaves parameter gaps (arguments shorter than their slot),
/// and is compared with the same text sent as a plain prompt (full prefill, consecutive positions).
/// </summary>
internal static class FidelityBenchmark
{
    private const string Schema = """
        <schema name="tales">
          <module name="intro">Once upon a time, there was a <parameter name="hero" length="6" scaffold="little girl"/> named <parameter name="name" length="5" scaffold="Lily"/>.</module>
          <union>
            <module name="park">She liked to play in the park with her friends.</module>
            <module name="ball">She had a big red ball that she loved very much.</module>
            <module name="dog">She had a small dog who was always happy and wanted to play.</module>
          </union>
          <module name="day">One day, <union><module name="rain">it started to rain and everyone ran home.</module><module name="sun">the sun was bright and the sky was blue.</module><module name="storm">a big storm came to the town and the trees shook.</module></union></module>
          <module name="feel">She felt very <parameter name="mood" length="6" scaffold="happy"/>.</module>
        </schema>
        """;

    private static readonly string[] Heroes = ["girl", "boy", "little boy", "cat", "bunny", "bird"];
    private static readonly string[] Names = ["Tom", "Sue", "Ben", "Max", "Mia", "Lily"];
    private static readonly string[] Firsts = ["park", "ball", "dog"];
    private static readonly string[] Days = ["rain", "sun", "storm"];
    private static readonly string[] Moods = ["sad", "scared", "happy", "excited"];
    private static readonly string[] Suffixes = [" Then", " She", " The next day,", " Her mom said,", " So", " They"];

    public static async Task RunAsync(string modelPath, int count, int continuation)
    {
        await using var engine = PromptCacheEngine.Load(modelPath);
        await engine.WarmAsync(new PromptSchemaSource(Schema, "tales.pml"));
        var random = new Random(2024);
        int top1 = 0, exact = 0, prompts = 0;
        double kl = 0, agreeTokens = 0;
        var greedy = new GenerationOptions { MaxTokens = continuation, IgnoreEos = true };
        while (prompts < count)
        {
            var request = Sample(random, out bool prefixExact);
            if (prefixExact) continue; // only non-prefix layouts are measured here
            prompts++;
            var cached = await engine.ComputeLogitsAsync(request, useCache: true);
            var full = await engine.ComputeLogitsAsync(request, useCache: false);
            if (ArgMax(cached) == ArgMax(full)) top1++;
            kl += KlDivergence(full, cached);
            var a = (await engine.RunAsync(request, greedy)).TokenIds;
            var b = (await engine.RunUncachedAsync(request, greedy)).TokenIds;
            int same = 0;
            while (same < Math.Min(a.Count, b.Count) && a[same] == b[same]) same++;
            if (same == continuation) exact++;
            agreeTokens += same;
        }
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"Fidelity of non-prefix prompts on {Path.GetFileName(modelPath)}: {prompts} prompts (skipped union members and/or parameter gaps), cached vs plain full prefill.");
        Console.WriteLine("| prompts | top-1 agreement | mean KL(full ‖ cached) | greedy continuation match (exact, " + continuation + " tokens) | mean agreeing prefix |");
        Console.WriteLine("|---:|---:|---:|---:|---:|");
        Console.WriteLine(string.Create(inv, $"| {prompts} | {100.0 * top1 / prompts:F1} % | {kl / prompts:F4} nats | {100.0 * exact / prompts:F1} % | {agreeTokens / prompts:F1} tokens |"));
    }

    // A random request; prefixExact when it selects every module in order with default members and no gaps.
    private static PromptRequest Sample(Random random, out bool prefixExact)
    {
        string hero = Heroes[random.Next(Heroes.Length)], name = Names[random.Next(Names.Length)];
        var modules = new List<ModuleSelection> { new(["intro"], [new PromptArgument("hero", hero), new PromptArgument("name", name)]) };
        bool skipFirst = random.Next(4) == 0;
        string first = Firsts[random.Next(Firsts.Length)];
        if (!skipFirst) modules.Add(new ModuleSelection(first));
        string day = Days[random.Next(Days.Length)];
        modules.Add(new ModuleSelection("day"));
        modules.Add(new ModuleSelection("day", day));
        bool feel = random.Next(3) != 0;
        if (feel) modules.Add(new ModuleSelection(["feel"], [new PromptArgument("mood", Moods[random.Next(Moods.Length)])]));
        // Every argument here is shorter than or equal to its slot; a gap exists unless all fill exactly,
        // which the scaffold-sized slots make rare; default members are park and rain.
        prefixExact = false;
        return new PromptRequest("tales", "", modules, [PromptSuffixPart.Plain(Suffixes[random.Next(Suffixes.Length)])]);
    }

    private static int ArgMax(float[] v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static double KlDivergence(float[] pLogits, float[] qLogits)
    {
        double[] p = Softmax(pLogits), q = Softmax(qLogits);
        double sum = 0;
        for (int i = 0; i < p.Length; i++)
            if (p[i] > 0) sum += p[i] * (Math.Log(p[i]) - Math.Log(Math.Max(q[i], 1e-30)));
        return sum;
    }

    private static double[] Softmax(float[] logits)
    {
        double max = logits.Max();
        var e = logits.Select(x => Math.Exp(x - max)).ToArray();
        double total = e.Sum();
        return e.Select(x => x / total).ToArray();
    }
}
