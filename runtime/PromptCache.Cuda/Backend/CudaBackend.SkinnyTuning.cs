using PromptCache.Cuda.Interop;

namespace PromptCache.Cuda.Backend;

// The skinny GEMM paths a group can take (cublasGemmEx, cuBLASLt, the skinny kernels), and the per-shape timing that
// picks one (SkinnyKernelVariant.Auto).
public sealed unsafe partial class CudaBackend
{
    private enum SkinnyKind { GemmEx, Lt, Kernel }

    private readonly record struct SkinnyCandidate(SkinnyKind Kind, SkinnyKernelVariant Variant, SkinnyGemmPlan.Split Split)
    {
        public override string ToString() => Kind switch
        {
            SkinnyKind.Kernel when Variant == SkinnyKernelVariant.Wgmma => "Wgmma",
            SkinnyKind.Kernel => $"{Variant}/s{Split.Splits}",
            SkinnyKind.Lt => "cuBLASLt",
            _ => "cublasGemmEx",
        };
    }

    private readonly Dictionary<(int, int, int, int, int, int), SkinnyCandidate> _skinnyChoices = new();
    private readonly List<string> _skinnyTuneLog = new();

    /// <summary>With <see cref="SkinnyKernelVariant.Auto"/>: one line per GEMM group shape tuned so far (every candidate's time, the winner).</summary>
    public IReadOnlyList<string> SkinnyTuneLog
    {
        get
        {
            using (Enter()) return _skinnyTuneLog.ToArray();
        }
    }

    private SkinnyCandidate KernelCandidate(in SkinnyGroupArgs g, SkinnyKernelVariant variant, int forcedSplits, int m, int k)
    {
        if (variant == SkinnyKernelVariant.Wgmma) return new SkinnyCandidate(SkinnyKind.Kernel, variant, default); // splits itself (stream-K)
        int blocks = 0;
        for (int i = 0; i < g.Count; i++) blocks += SkinnyGemmPlan.Blocks(g.Rows[i], SkinnyGemmPlan.BlockRows(variant));
        return new SkinnyCandidate(SkinnyKind.Kernel, variant, SkinnyGemmPlan.Choose(blocks, k, m, _device.MultiprocessorCount, variant, forcedSplits));
    }

    private void RunCandidate(SkinnyCandidate c, SkinnyGroupArgs g, int m, int k, ulong xb)
    {
        switch (c.Kind)
        {
            case SkinnyKind.GemmEx:
                for (int i = 0; i < g.Count; i++) GemmEx(g.Weights[i], g.Rows[i], k, xb, m, g.Outputs[i]);
                break;
            case SkinnyKind.Lt:
                for (int i = 0; i < g.Count; i++)
                {
                    ulong w = g.Weights[i], y = g.Outputs[i];
                    int rows = g.Rows[i];
                    _ltGemm.Run(w, rows, k, xb, m, y, () => GemmEx(w, rows, k, xb, m, y));
                }
                break;
            case SkinnyKind.Kernel when c.Variant == SkinnyKernelVariant.Wgmma:
                RunSkinnyWgmma(g, m, k, xb);
                break;
            default:
                int blockRows = SkinnyGemmPlan.BlockRows(c.Variant);
                g.Starts[0] = 0;
                for (int i = 0; i < g.Count; i++) g.Starts[i + 1] = g.Starts[i] + SkinnyGemmPlan.Blocks(g.Rows[i], blockRows);
                _kernels.SkinnyGemm(g, xb, m, k, c.Split, c.Variant);
                break;
        }
    }

    // Times every candidate on the group's real operands (median of 5 after one untimed run, GPU
    // events) and returns the fastest; the winner then writes the outputs. A kernel candidate that
    // fails to compile or launch is skipped; when all of them fail the error is kept in SkinnyKernelError.
    private SkinnyCandidate TuneSkinny(SkinnyGroupArgs g, int m, int k, ulong xb)
    {
        _device.BreakCapture(); // timed with events: runs directly
        var candidates = new List<SkinnyCandidate> { new(SkinnyKind.GemmEx, default, default), new(SkinnyKind.Lt, default, default) };
        foreach (var v in new[] { SkinnyKernelVariant.Rows64, SkinnyKernelVariant.Rows32, SkinnyKernelVariant.Rows64Pipelined })
        {
            var auto = KernelCandidate(g, v, 0, m, k);
            candidates.Add(auto);
            if (auto.Split.Splits != 1) candidates.Add(KernelCandidate(g, v, 1, m, k));
        }
        if (SkinnyWgmmaFits(g, m, k, xb)) candidates.Add(KernelCandidate(g, SkinnyKernelVariant.Wgmma, 0, m, k));
        var best = (Candidate: candidates[0], Ms: double.MaxValue);
        var parts = new List<string>();
        string? kernelError = null;
        int kernelsRun = 0;
        foreach (var c in candidates)
        {
            try
            {
                double ms = _device.MedianMilliseconds(() => RunCandidate(c, g, m, k, xb), 5);
                parts.Add($"{c} {ms * 1e3:0}us");
                if (c.Kind == SkinnyKind.Kernel) kernelsRun++;
                if (ms < best.Ms) best = (c, ms);
            }
            catch (CudaException e)
            {
                if (c.Kind != SkinnyKind.Kernel) throw;
                kernelError ??= e.Message;
                parts.Add($"{c} failed ({e.Message.Split('\n')[0]})");
            }
        }
        if (kernelsRun == 0 && kernelError is not null)
        {
            SkinnyKernelError = kernelError;
            _skinnyUnavailable = true; // do not recompile the broken unit for every shape
        }
        string rows = string.Join("+", Enumerable.Range(0, g.Count).Select(i => g.Rows[i]));
        _skinnyTuneLog.Add($"skinny {m} x [{rows}] x {k}: {string.Join(", ", parts)} -> {best.Candidate}");
        RunCandidate(best.Candidate, g, m, k, xb);
        return best.Candidate;
    }

    /// <summary>Why the skinny-GEMM kernel was given up (and cublasGemmEx used instead), or null.</summary>
    public string? SkinnyKernelError { get; private set; }
}
