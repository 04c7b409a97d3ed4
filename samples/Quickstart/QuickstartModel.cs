using PromptCache.Engine;
using PromptCache.Engine.Synthetic;

namespace Quickstart;

/// <summary>Opens the engine on the model the user named, or on the embedded synthetic default.</summary>
internal static class QuickstartModel
{
    // The llama2.c TinyStories-42M shape: a real Llama layer layout, small enough that warming and
    // the uncached comparison finish in seconds on two cores.
    private static readonly SyntheticShape DefaultShape = SyntheticShape.Llama42M;

    public static PromptCacheEngine Open(QuickstartSettings settings)
    {
        var options = new PromptCacheEngineOptions
        {
            DiskCacheDirectory = settings.CacheDirectory,
            Log = message => Console.WriteLine("  [engine] " + message),
        };
        if (settings.ModelPath is { } path)
        {
            Console.WriteLine($"Model: {path}");
            return PromptCacheEngine.Load(path, options);
        }

        var s = DefaultShape;
        Console.WriteLine("No --model given: using the EMBEDDED SYNTHETIC model, built in code (nothing is downloaded).");
        Console.WriteLine($"  shape {s.Name}: d {s.HiddenSize}, {s.LayerCount} layers, {s.HeadCount} heads, FFN {s.FfnSize}, {s.ParameterCount / 1e6:F0}M parameters, {s.WeightType}");
        Console.WriteLine("  weights: seeded random numbers; tokenizer: byte-level with ChatML role tokens.");
        Console.WriteLine("  Its text is MEANINGLESS. The timings are real. Pass --model PATH (an HF folder or a .gguf) for a real model.");
        return PromptCacheEngine.CreateSynthetic(s, seed: 1234, options);
    }
}
