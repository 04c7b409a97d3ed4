using System.Globalization;

namespace PromptCache.Cuda.Bench;

/// <summary>Command-line settings; every section can be selected on its own so a first device run can be correctness only.</summary>
internal sealed class BenchSettings
{
    public bool Check { get; private set; } = true;
    public bool Bench { get; private set; } = true;
    public string? Fixtures { get; private set; }
    public int CpuTokens { get; private set; } = 600;
    /// <summary>Explicit --prefill sizes, or null for the shape's default (<see cref="PrefillFor"/>).</summary>
    public int[]? PrefillTokens { get; private set; }
    public int[] CachedContexts { get; private set; } = [4096, 8192];
    public int Reps { get; private set; } = 7;
    public int Warmup { get; private set; } = 2;

    /// <summary>
    /// Seconds the GPU idles before each timed row (its warm-ups included); hf_reference.py idles as long (both read
    /// SETTLE_S, default 2). Under its 700 W cap an H100 that has just run a minute of A/B rows is hotter and clocks
    /// lower than one that has not, so without it a row's time depends on what ran before it (s15-4: the same 4096-token
    /// prefill 91.9 ms early in the run, 96.2 ms after the A/B rows).
    /// </summary>
    public double Settle { get; private set; } = 2;

    public int Layers { get; private set; } = 32;
    /// <summary>Model shapes timed one after the other (each on its own backend, so only one model is resident).</summary>
    public string[] Shapes { get; private set; } = ["llama2-7b", "llama3-8b"];
    public bool Profile { get; private set; }

    /// <summary>Runs one call of each prefill and cached row between cuProfilerStart and cuProfilerStop (--kernel-trace).</summary>
    public bool KernelTrace { get; private set; }
    public int DecodeSteps { get; private set; } = 32;
    public bool HostTier { get; private set; } = true;
    public string Attention { get; private set; } = "auto";
    public string SkinnyGemm { get; private set; } = "auto";
    public string FuseNorm { get; private set; } = "auto";
    public string FusedGroup { get; private set; } = "auto";
    public List<string> HfModels { get; } = new();

    public const string Usage = """
        PromptCache.Cuda.Bench [check|bench|all] [options]
          check               correctness only: HF fixtures (plain + modular) and CPU vs CUDA on a random model
          bench               TTFT timings only (random model made on the GPU)
          all                 both (default)
          --fixtures DIR      HF fixture folder (default: tests/PromptCache.Runtime.Tests/Fixtures/hf found above the current folder)
          --hf-model DIR      also check an HF-saved model with reference.json (hf_parity_model.py); repeatable
          --cpu-tokens N      tokens of the CPU-vs-CUDA plain check (default 600)
          --prefill A,B,..    uncached prefill sizes (default 2048,4096,8192 for llama2-7b, 4096,8192 for
                              llama3-8b; empty string: none)
          --cached A,B,..     cached module context sizes (default 4096,8192; empty string: none)
          --reps N            timed repetitions, median reported (default 7)
          --warmup N          untimed runs first (default 2)
          --settle S          seconds the GPU idles before each timed row (default: $SETTLE_S, else 2; as the
                              HF reference does)
          --layers N          layers of the benchmark model (default 32)
          --shape S[,S]       llama2-7b and/or llama3-8b (default: both, in that order)
          --profile           print GPU time per op category for the largest prefill and each cached row
          --kernel-trace      one call of each prefill and cached row between cuProfilerStart/Stop, for
                              ncu --profile-from-start off (benchmarks/Cuda/kernel_trace.sh)
          --attention K       kernel for the timings: auto (of the kernels that passed the checks, the
                              fastest on a 4096 prefill + cached 4096+48; tiled when checks were not
                              run), simple, tiled, ldm, pipelined or pipelined-wide
          --skinny-gemm G     GEMMs of <= 64 rows for the timings: auto (of cuBLASLt tuned, the skinny
                              kernel and the Hopper wgmma kernel, those whose checks passed, timed against
                              cublasGemmEx on a cached 4096+48 call with matching logits, fastest wins;
                              cublasGemmEx when checks were not run), gemmex, lt, kernel (variant tuned per
                              shape) or wgmma (the Hopper kernel wherever it fits)
          --fuse-norm F       residual add fused with the next RMSNorm: auto (on if its checks passed;
                              off when checks were not run), on or off
          --fused-group F     q/k/v and gate/up as one GEMM over weights placed back to back: auto (timed
                              with each skinny path when its checks passed; off when checks were not
                              run), on or off
          --no-host-tier      skip the host-tier rows (module K/V in pinned host memory, layer-wise loads)
          --decode N          greedy decode steps timed after each cached row (default 32; 0: none)
        """;

    // A settle time: seconds, at least 0 (hf_reference.py reads SETTLE_S the same way).
    private static double Seconds(string text, string name) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds >= 0 && double.IsFinite(seconds)
            ? seconds
            : throw new ArgumentException($"{name} '{text}' is not a number of seconds (0 or more).");

    public static BenchSettings Parse(string[] args)
    {
        var s = new BenchSettings();
        if (Environment.GetEnvironmentVariable("SETTLE_S") is { Length: > 0 } settle)
            s.Settle = Seconds(settle, "SETTLE_S");
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{a} needs a value.");
            switch (a)
            {
                case "check": s.Bench = false; break;
                case "bench": s.Check = false; break;
                case "all": break;
                case "--fixtures": s.Fixtures = Next(); break;
                case "--cpu-tokens": s.CpuTokens = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--prefill": s.PrefillTokens = List(Next()); break;
                case "--cached": s.CachedContexts = List(Next()); break;
                case "--reps": s.Reps = Math.Max(1, int.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "--warmup": s.Warmup = Math.Max(0, int.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "--settle": s.Settle = Seconds(Next(), "--settle"); break;
                case "--layers": s.Layers = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--shape":
                    s.Shapes = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    foreach (string shape in s.Shapes)
                        if (shape is not ("llama2-7b" or "llama3-8b")) throw new ArgumentException($"Unknown shape '{shape}': use llama2-7b or llama3-8b.");
                    break;
                case "--profile": s.Profile = true; break;
                case "--kernel-trace": s.KernelTrace = true; break;
                case "--attention":
                    s.Attention = Next();
                    if (s.Attention is not ("auto" or "simple" or "tiled" or "ldm" or "pipelined" or "pipelined-wide")) throw new ArgumentException($"Unknown attention kernel '{s.Attention}': use auto, simple, tiled, ldm, pipelined or pipelined-wide.");
                    break;
                case "--skinny-gemm":
                    s.SkinnyGemm = Next();
                    if (s.SkinnyGemm is not ("auto" or "gemmex" or "lt" or "kernel" or "wgmma")) throw new ArgumentException($"Unknown skinny GEMM path '{s.SkinnyGemm}': use auto, gemmex, lt, kernel or wgmma.");
                    break;
                case "--no-host-tier": s.HostTier = false; break;
                case "--fuse-norm":
                    s.FuseNorm = Next();
                    if (s.FuseNorm is not ("auto" or "on" or "off")) throw new ArgumentException($"Unknown --fuse-norm '{s.FuseNorm}': use auto, on or off.");
                    break;
                case "--fused-group":
                    s.FusedGroup = Next();
                    if (s.FusedGroup is not ("auto" or "on" or "off")) throw new ArgumentException($"Unknown --fused-group '{s.FusedGroup}': use auto, on or off.");
                    break;
                case "--hf-model": s.HfModels.Add(Next()); break;
                case "--decode": s.DecodeSteps = Math.Max(0, int.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "-h" or "--help": throw new ArgumentException("help");
                default: throw new ArgumentException($"Unknown argument '{a}'.");
            }
        }
        return s;
    }

    /// <summary>The uncached prefill sizes for <paramref name="shape"/>: explicit, or the rows (Llama-3-8B: 4096 and 8192).</summary>
    public int[] PrefillFor(string shape) => PrefillTokens ?? (shape == "llama3-8b" ? [4096, 8192] : [2048, 4096, 8192]);

    private static int[] List(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The fixtures folder: explicit, or found by walking up from the current folder.</summary>
    public string? FindFixtures()
    {
        if (Fixtures is not null) return Fixtures;
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "PromptCache.Runtime.Tests", "Fixtures", "hf");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }
}
