using PromptCache.Cuda.Device;
using PromptCache.Cuda.Interop;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// GEMMs through cuBLASLt with the algorithm chosen by measurement. At the first call of each
/// (rows, cols, m class) the heuristic's candidates and the plain cublasGemmEx path are each timed on the
/// real operands, and the fastest is kept; the call's output is then written by the winner. The m class
/// is m rounded up to a power of two: other row counts of the class take its winner (checked with
/// cublasLtMatmulAlgoCheck) instead of timing again, so a server seeing suffixes of many lengths tunes
/// a handful of times, not once per length. Any cuBLASLt error while planning makes that shape use
/// cublasGemmEx, so this can only be as slow as the old path plus the one-off tuning.
/// </summary>
/// <remarks>
/// Why: skinny GEMMs (cached suffixes, decode) read 13.5 GB of weights per cached 7B call and ran at
/// ~2.1 TB/s of the ~3 TB/s the H100 copies at; the heuristic's first choice is tuned for throughput
/// shapes, and a split-K or differently tiled candidate can stream the weights faster. Prefill GEMMs
/// too: cublasGemmEx's own choice for 4096 × 11008 × 4096 ran at 582 TFLOP/s where 8192³ ran at 697-732.
/// </remarks>
internal sealed unsafe class LtTunedGemm : IDisposable
{
    private const int Candidates = 16, TimedReps = 5;
    private const long WorkspaceBytes = 32L << 20;

    private readonly CudaDevice _device;
    private readonly ScratchBuffer _workspace;
    private readonly Dictionary<(int Rows, int Cols, int M, int OutputType), Plan> _plans = new();
    private readonly Dictionary<(int Rows, int Cols, int MClass, int OutputType), byte[]?> _winners = new(); // null: cublasGemmEx won
    private readonly List<string> _log = new();
    private IntPtr _lt;

    public LtTunedGemm(CudaDevice device)
    {
        _device = device;
        _workspace = new ScratchBuffer(device);
    }

    /// <summary>One line per planned shape: what was timed and what won.</summary>
    public IReadOnlyList<string> Log => _log;

    /// <summary>
    /// y[m × rows] (f32, or bf16 with <paramref name="outputType"/> <see cref="Cublas.R16BF"/>) = xb[m × cols] (bf16) · wᵀ
    /// (bf16 rows × cols); <paramref name="gemmEx"/> is the fallback path, writing the same type.
    /// </summary>
    public void Run(ulong w, int rows, int cols, ulong xb, int m, ulong y, Action gemmEx, int outputType = Cublas.R32F)
    {
        var plan = PlanFor(w, rows, cols, xb, m, y, gemmEx, outputType);
        if (plan.Algo is null) gemmEx();
        else Launch(plan, w, xb, y, beta: 0f);
    }

    /// <summary>
    /// y[m × rows] (f32) += xb · wᵀ, with the algorithm <see cref="Run"/> would take for the shape. A shape not planned
    /// yet is timed writing into <paramref name="tuneOutput"/> (m × rows floats the caller can spare, written by
    /// <paramref name="gemmExIntoTuneOutput"/> among others), never into y; <paramref name="gemmExAccumulate"/> is the fallback.
    /// </summary>
    public void Accumulate(ulong w, int rows, int cols, ulong xb, int m, ulong y, ulong tuneOutput, Action gemmExIntoTuneOutput, Action gemmExAccumulate)
    {
        var plan = PlanFor(w, rows, cols, xb, m, tuneOutput, gemmExIntoTuneOutput, Cublas.R32F);
        if (plan.Algo is null) gemmExAccumulate();
        else Launch(plan, w, xb, y, beta: 1f);
    }

    // The shape's plan: made before, the winner of its m class, or timed now on the real operands (writing y).
    private Plan PlanFor(ulong w, int rows, int cols, ulong xb, int m, ulong y, Action gemmEx, int outputType)
    {
        if (_plans.TryGetValue((rows, cols, m, outputType), out var plan)) return plan;
        var mClass = (rows, cols, TuningClass.Of(m), outputType);
        plan = _winners.TryGetValue(mClass, out var winner) ? Reuse(winner, rows, cols, m, outputType) : null;
        if (plan is null)
        {
            plan = Tune(w, rows, cols, xb, m, y, gemmEx, outputType);
            _winners.TryAdd(mClass, plan.Algo);
        }
        _plans[(rows, cols, m, outputType)] = plan;
        return plan;
    }

    // Same operand order as the cublasGemmEx path: column-major yᵀ (rows × m) = Wᵀ-view · xᵀ.
    private void Describe(Plan plan, int rows, int cols, int m, int outputType)
    {
        if (_lt == IntPtr.Zero) CudaCheck.Blas(CublasLt.cublasLtCreate(out _lt));
        CudaCheck.Blas(CublasLt.cublasLtMatmulDescCreate(out plan.Desc, Cublas.Compute32F, Cublas.R32F));
        int opT = Cublas.OpT, opN = Cublas.OpN;
        CudaCheck.Blas(CublasLt.cublasLtMatmulDescSetAttribute(plan.Desc, CublasLt.DescTransA, &opT, sizeof(int)));
        CudaCheck.Blas(CublasLt.cublasLtMatmulDescSetAttribute(plan.Desc, CublasLt.DescTransB, &opN, sizeof(int)));
        CudaCheck.Blas(CublasLt.cublasLtMatrixLayoutCreate(out plan.A, Cublas.R16BF, (ulong)cols, (ulong)rows, cols));
        CudaCheck.Blas(CublasLt.cublasLtMatrixLayoutCreate(out plan.B, Cublas.R16BF, (ulong)cols, (ulong)m, cols));
        CudaCheck.Blas(CublasLt.cublasLtMatrixLayoutCreate(out plan.C, outputType, (ulong)rows, (ulong)m, rows));
    }

    // A plan for m rows with the winner of m's class, or null when cuBLASLt does not take that algorithm
    // for m (then m is tuned on its own).
    private Plan? Reuse(byte[]? winner, int rows, int cols, int m, int outputType)
    {
        var plan = new Plan();
        if (winner is null) return plan; // cublasGemmEx won the class
        try
        {
            Describe(plan, rows, cols, m, outputType);
            byte* result = stackalloc byte[CublasLt.HeuristicResultBytes + 64];
            fixed (byte* algo = winner)
            {
                if (CublasLt.cublasLtMatmulAlgoCheck(_lt, plan.Desc, plan.A, plan.B, plan.C, plan.C, algo, result) == 0
                    && *(ulong*)(result + CublasLt.HeuristicWorkspaceOffset) <= WorkspaceBytes)
                {
                    plan.Algo = winner;
                    _log.Add($"GEMM {m} x {rows} x {cols}: the algorithm timed for its class ({TuningClass.Of(m)} rows)");
                    return plan;
                }
            }
        }
        catch (Exception e) when (e is CudaException or EntryPointNotFoundException)
        {
        }
        plan.Dispose();
        return null;
    }

    private Plan Tune(ulong w, int rows, int cols, ulong xb, int m, ulong y, Action gemmEx, int outputType)
    {
        _device.BreakCapture(); // timed with events: runs directly
        var plan = new Plan();
        try
        {
            Describe(plan, rows, cols, m, outputType);
            CudaCheck.Blas(CublasLt.cublasLtMatmulPreferenceCreate(out IntPtr preference));
            // Slack after the results: a larger struct in a future cuBLASLt must not write past the buffer.
            var results = new byte[Candidates * CublasLt.HeuristicResultBytes + 1024];
            int returned;
            try
            {
                ulong maxWorkspace = WorkspaceBytes;
                CudaCheck.Blas(CublasLt.cublasLtMatmulPreferenceSetAttribute(preference, CublasLt.PrefMaxWorkspaceBytes, &maxWorkspace, sizeof(ulong)));
                fixed (byte* r = results)
                    CudaCheck.Blas(CublasLt.cublasLtMatmulAlgoGetHeuristic(_lt, plan.Desc, plan.A, plan.B, plan.C, plan.C, preference, Candidates, r, out returned));
            }
            finally
            {
                CublasLt.cublasLtMatmulPreferenceDestroy(preference);
            }
            _workspace.Get(WorkspaceBytes);

            double best = Time(gemmEx);
            double gemmExMs = best;
            int winner = -1;
            var timings = new List<string>();
            for (int i = 0; i < Math.Min(returned, Candidates); i++)
            {
                var span = results.AsSpan(i * CublasLt.HeuristicResultBytes, CublasLt.HeuristicResultBytes);
                if (BitConverter.ToInt32(span[CublasLt.HeuristicStateOffset..]) != 0) continue;
                if (BitConverter.ToUInt64(span[CublasLt.HeuristicWorkspaceOffset..]) > WorkspaceBytes) continue;
                plan.Algo = span[..64].ToArray();
                try
                {
                    double ms = Time(() => Launch(plan, w, xb, y, beta: 0f));
                    timings.Add($"#{i} {ms * 1e3:0}us");
                    if (ms < best) (best, winner) = (ms, i);
                }
                catch (CudaException e)
                {
                    timings.Add($"#{i} failed ({e.Message.Split('\n')[0]})");
                }
            }
            plan.Algo = winner < 0 ? null : results.AsSpan(winner * CublasLt.HeuristicResultBytes, 64).ToArray();
            _log.Add($"GEMM {m} x {rows} x {cols}{(outputType == Cublas.R16BF ? " (bf16 out)" : "")}: cublasGemmEx {gemmExMs * 1e3:0}us; cuBLASLt {returned} candidates: {string.Join(", ", timings)} -> {(winner < 0 ? "cublasGemmEx" : $"cuBLASLt #{winner}")}");
        }
        catch (Exception e) when (e is CudaException or DllNotFoundException or EntryPointNotFoundException)
        {
            plan.Algo = null;
            _log.Add($"GEMM {m} x {rows} x {cols}: cuBLASLt unusable ({e.GetType().Name}: {e.Message.Split('\n')[0]}) -> cublasGemmEx");
        }
        return plan;
    }

    // beta 1: y is also C, added to the product (the residual); 0: only written.
    private void Launch(Plan plan, ulong w, ulong xb, ulong y, float beta)
    {
        float alpha = 1f;
        ulong workspace = _workspace.Get(WorkspaceBytes);
        fixed (byte* algo = plan.Algo)
            CudaCheck.Blas(CublasLt.cublasLtMatmul(_lt, plan.Desc, &alpha, w, plan.A, xb, plan.B, &beta, y, plan.C, y, plan.C,
                algo, workspace, (nuint)WorkspaceBytes, _device.Stream.Value));
    }

    // Median GPU time of one launch (after one untimed), by events on the backend's stream.
    private double Time(Action launch) => _device.MedianMilliseconds(launch, TimedReps);

    public void Dispose()
    {
        foreach (var plan in _plans.Values) plan.Dispose();
        _plans.Clear();
        if (_lt != IntPtr.Zero) CublasLt.cublasLtDestroy(_lt);
        _lt = IntPtr.Zero;
        _workspace.Dispose();
    }

    private sealed class Plan : IDisposable
    {
        public IntPtr Desc, A, B, C;
        public byte[]? Algo;

        public void Dispose()
        {
            if (Desc != IntPtr.Zero) CublasLt.cublasLtMatmulDescDestroy(Desc);
            if (A != IntPtr.Zero) CublasLt.cublasLtMatrixLayoutDestroy(A);
            if (B != IntPtr.Zero) CublasLt.cublasLtMatrixLayoutDestroy(B);
            if (C != IntPtr.Zero) CublasLt.cublasLtMatrixLayoutDestroy(C);
        }
    }
}
