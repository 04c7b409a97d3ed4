using PromptCache.Cuda.Interop;
using PromptCache.Runtime.Models;

namespace PromptCache.Cuda.Backend;

// GEMMs: cuBLAS(Lt) and the skinny kernel, the q/k/v and gate/up groups, and the value projection held for the K/V store.
public sealed unsafe partial class CudaBackend
{
    /// <summary>
    /// With <see cref="SkinnyGemmPath.CublasLtTuned"/> and <see cref="CudaBackendOptions.TunedPrefillGemms"/>: one line
    /// per GEMM shape planned so far (candidates timed, winner), for benchmark reports.
    /// </summary>
    public IReadOnlyList<string> TunedGemmLog
    {
        get
        {
            using (Enter()) return _ltGemm.Log.ToArray();
        }
    }

    /// <inheritdoc />
    public void MatMul(float* x, int m, in WeightTensor w, float* y)
    {
        using (Enter())
        {
            using var chunk = Recorded();
            FlushAttention();
            FlushAdd();
            ulong weights = _weights.Get(w);
            Learn((ulong)x, m, w.Cols, weights);
            long inputs = (long)m * w.Cols, outputs = (long)m * w.Rows;
            if (!Groups(m, w.Cols))
            {
                FlushGroup();
                ulong xb = GemmInput(x, inputs);
                Written((ulong)y, outputs);
                // The third GEMM in a row on one input is a layer's value projection (q, k, v): held for the K/V store.
                if (ValuesIntoSegment && RopeInReaders && _chainLength == 3 && !FloatRanges.Overlap((ulong)y, outputs, (ulong)x, inputs))
                    _heldGemm = new HeldGemm(weights, w.Rows, w.Cols, xb, m, (ulong)y); // launched by the next call
                else
                    Gemm(weights, w.Rows, w.Cols, xb, m, (ulong)y);
                return;
            }
            bool overwritesInput = FloatRanges.Overlap((ulong)y, outputs, (ulong)x, inputs);
            if (!JoinsGroup((ulong)x, m, w.Cols, weights, (ulong)y, outputs, overwritesInput))
            {
                FlushGroup();
                _groupInputBf16 = GemmInput(x, inputs);
                (_groupInput, _groupRows, _groupCols) = ((ulong)x, m, w.Cols);
                // A member that overwrites the shared input must run before anything else reads it.
                _groupFollowers = overwritesInput ? [] : _followers.GetValueOrDefault(weights) ?? [];
            }
            int i = _group.Count++;
            _group.Weights[i] = weights;
            _group.Outputs[i] = (ulong)y;
            _group.Rows[i] = w.Rows;
            Written((ulong)y, outputs);
            bool hold = PrefillPairs(m) && !overwritesInput && (_group.Count == 1 || HoldsSwiGluPair);
            // A prefill q/k/v group's value projection stays held for the K/V store, as outside groups.
            if (!hold && _group.Count >= 1 + _groupFollowers.Length)
                FlushGroup(holdValues: ValuesIntoSegment && RopeInReaders && _chainLength == 3 && _group.Count == 3 && m > Options.SkinnyGemmMaxRows);
        }
    }

    /// <inheritdoc />
    public void MatMulAdd(float* x, int m, in WeightTensor w, float* y, float* scratch)
    {
        long inputs = (long)m * w.Cols, outputs = (long)m * w.Rows;
        // Short queries keep their paths (skinny kernels, groups, the add fused with the next norm).
        if (!ResidualInGemm || m <= Options.SkinnyGemmMaxRows || FloatRanges.Overlap((ulong)y, outputs, (ulong)x, inputs)
            || FloatRanges.Overlap((ulong)scratch, outputs, (ulong)y, outputs))
        {
            MatMul(x, m, w, scratch);
            Add(y, scratch, outputs);
            return;
        }
        using (Enter())
        {
            using var chunk = Recorded();
            Begin();
            ulong weights = _weights.Get(w);
            ulong xb = GemmInput(x, inputs);
            Reading((ulong)y, outputs);
            Written((ulong)y, outputs);
            int rows = w.Rows, cols = w.Cols;
            ulong yd = (ulong)y, s = (ulong)scratch;
            if (TunedPrefillGemms)
                _ltGemm.Accumulate(weights, rows, cols, xb, m, yd, s, () => GemmEx(weights, rows, cols, xb, m, s), () => GemmEx(weights, rows, cols, xb, m, yd, beta: 1f));
            else
                GemmEx(weights, rows, cols, xb, m, yd, beta: 1f);
            ResidualGemms++;
        }
    }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.ResidualInGemm"/>.</summary>
    internal bool? ResidualInGemmOverride { get; set; }

    private bool ResidualInGemm => ResidualInGemmOverride ?? Options.ResidualInGemm;

    /// <summary>GEMMs that added their product into the residual themselves (checks: the path ran).</summary>
    internal long ResidualGemms { get; private set; }

    // A GEMM held back until the next call (ValuesIntoSegment): when that call stores its output as V, the GEMM
    // writes bf16 straight into the segment's device copy; any other call launches it as it was asked.
    private readonly record struct HeldGemm(ulong Weights, int Rows, int Cols, ulong Xb, int M, ulong Y)
    {
        public long Outputs => (long)M * Rows;
    }

    private HeldGemm? _heldGemm;

    private void FlushHeldGemm()
    {
        if (_heldGemm is not { } h) return;
        _heldGemm = null;
        Gemm(h.Weights, h.Rows, h.Cols, h.Xb, h.M, h.Y);
    }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.ValuesIntoSegment"/>.</summary>
    internal bool? ValuesIntoSegmentOverride { get; set; }

    private bool ValuesIntoSegment => ValuesIntoSegmentOverride ?? Options.ValuesIntoSegment;

    // The bf16 copy of x[0, count): the one its producer (RMSNorm, SiluMul, attention, an earlier
    // conversion) left, or a new conversion.
    private ulong GemmInput(float* x, long count)
    {
        ulong xb = _gemmInputs.Find((ulong)x, count);
        if (xb != 0) return xb;
        Reading((ulong)x, count);
        xb = Claim((ulong)x, count, only: false);
        _kernels.ConvertF32ToBf16((ulong)x, xb, count);
        return xb;
    }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.Bf16GemmInputsOnly"/> on a live backend.</summary>
    internal bool? Bf16GemmInputsOnlyOverride { get; set; }

    // Whether an op's output that most likely only a GEMM reads is written as its bf16 copy alone (GemmInputs).
    private bool GemmInputsOnly => Bf16GemmInputsOnlyOverride ?? Options.Bf16GemmInputsOnly;

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.TunedPrefillGemms"/> on a live backend.</summary>
    internal bool? TunedPrefillGemmsOverride { get; set; }

    private bool TunedPrefillGemms => TunedPrefillGemmsOverride ?? Options.TunedPrefillGemms;

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.SkinnyGemm"/> on a live backend.</summary>
    internal SkinnyGemmPath? SkinnyPathOverride { get; set; }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.SkinnyVariant"/>.</summary>
    internal SkinnyKernelVariant? SkinnyVariantOverride { get; set; }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.SkinnySplits"/>.</summary>
    internal int? SkinnySplitsOverride { get; set; }

    private SkinnyGemmPath AskedSkinnyPath => SkinnyPathOverride ?? Options.SkinnyGemm;

    private SkinnyGemmPath SkinnyPath => AskedSkinnyPath switch
    {
        SkinnyGemmPath.Auto => IsHopper ? SkinnyGemmPath.Kernel : SkinnyGemmPath.CublasLtTuned,
        var path => path,
    };

    // SkinnyGemmPath.Auto takes the wgmma kernel on Hopper, whatever variant the options name.
    private SkinnyKernelVariant SkinnyVariant =>
        SkinnyVariantOverride ?? (AskedSkinnyPath == SkinnyGemmPath.Auto ? SkinnyKernelVariant.Wgmma : Options.SkinnyVariant);

    private bool UseSkinnyKernel(int m, int cols) =>
        SkinnyPath == SkinnyGemmPath.Kernel && !_skinnyUnavailable
        && m <= Math.Min(Options.SkinnyGemmMaxRows, SkinnyGemmPlan.MaxRows) && SkinnyGemmPlan.Supports(cols);

    // Whether GEMMs of this shape are held back to run as a group (one skinny launch, or one fused GEMM).
    private bool Groups(int m, int cols) =>
        UseSkinnyKernel(m, cols) || (Options.FusedGroupGemm && !_fusedGroupUnavailable && m <= Options.SkinnyGemmMaxRows) || PrefillPairs(m);

    // Prefill GEMMs are held one call (two when a second of the same size follows on the same input):
    // a SiluMul over a held pair's outputs makes it a gate/up pair, run as one SwiGLU GEMM (FusedSwiGluGemm)
    // or with bf16 outputs (Bf16SwiGlu).
    private bool PrefillPairs(int m) => (FusedSwiGlu || Bf16SwiGlu) && m > Options.SkinnyGemmMaxRows;

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.FusedSwiGluGemm"/>.</summary>
    internal bool? FusedSwiGluOverride { get; set; }

    // The SwiGLU GEMM writes only the down projection's bf16 input, so it needs GemmInputsOnly.
    private bool FusedSwiGlu =>
        (FusedSwiGluOverride ?? Options.FusedSwiGluGemm) && !_swiGluGemmUnavailable && GemmInputsOnly
        && IsHopper;

    private bool _swiGluGemmUnavailable;

    /// <summary>Why the SwiGLU GEMM (<see cref="CudaBackendOptions.FusedSwiGluGemm"/>) was given up, or null.</summary>
    public string? SwiGluGemmError { get; private set; }

    /// <summary>Launches of the SwiGLU GEMM (checks: the path ran).</summary>
    internal long SwiGluGemmCalls { get; private set; }

    private readonly Dictionary<(ulong Address, int Rows, int Cols, int BoxRows), TensorMap> _weightMaps = new();

    // A weight's tensor map depends on its address, shape and box alone, so it is made once per weight and kernel.
    private TensorMap WeightMap(ulong address, int rows, int cols, int boxRows)
    {
        if (!_weightMaps.TryGetValue((address, rows, cols, boxRows), out var map))
            _weightMaps[(address, rows, cols, boxRows)] = map = TensorMap.Bf16Rows(address, rows, cols, boxRows);
        return map;
    }

    // The held gate/up pair (f × k each, on the bf16 input of m rows) as one kernel that writes silu(g)·u as the
    // down projection's bf16 input alone; false, with nothing launched and the pair still held, when it cannot run.
    private bool SwiGluGemm(float* gate, long count)
    {
        int m = _groupRows, k = _groupCols, f = _group.Rows[0];
        if (f % 8 != 0 || k % 8 != 0 || ((_groupInputBf16 | _group.Weights[0] | _group.Weights[1]) & 15) != 0) return false;
        ulong xb = _groupInputBf16;
        TensorMap xMap, gateMap, upMap;
        try
        {
            _kernels.PrepareSwiGluGemm();
            (xMap, gateMap, upMap) = (TensorMap.Bf16Rows(xb, m, k, DeviceKernels.SwiGluTileRows), WeightMap(_group.Weights[0], f, k, DeviceKernels.SwiGluTileColumns), WeightMap(_group.Weights[1], f, k, DeviceKernels.SwiGluTileColumns));
        }
        catch (Exception e) when (e is CudaException or EntryPointNotFoundException)
        {
            // The unit does not build here, or the driver predates tensor maps (CUDA 12): do not try again at every call.
            _swiGluGemmUnavailable = true;
            SwiGluGemmError = e.Message;
            return false;
        }
        var g = _group;
        _group = default;
        FlushAdd();
        _chainLength = 0;
        ulong copy = Claim((ulong)gate, count, only: true);
        long outBytes = count * sizeof(ushort), inBytes = (long)m * k * sizeof(ushort);
        if (copy < xb + (ulong)inBytes && xb < copy + (ulong)outBytes)
        {
            // The claim reused the input's buffer (a kernel cannot read and write it at once): the products first.
            ulong up = g.Outputs[1];
            Gemm(g.Weights[0], f, k, xb, m, (ulong)gate);
            Gemm(g.Weights[1], f, k, xb, m, up);
            _kernels.SiluMul((ulong)gate, up, 0, count, copy);
            return true;
        }
        if (_kernels.SwiGluGemm(xMap, gateMap, upMap, copy, m, f, k, PairedSwiGluOverride ?? Options.PairedSwiGluGemm)) PairedSwiGluGemmCalls++;
        SwiGluGemmCalls++;
        return true;
    }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.PairedSwiGluGemm"/>.</summary>
    internal bool? PairedSwiGluOverride { get; set; }

    /// <summary>Launches of the SwiGLU GEMM in clusters of two blocks (checks: the path ran).</summary>
    internal long PairedSwiGluGemmCalls { get; private set; }

    /// <summary>
    /// Why the SwiGLU GEMM runs one block per tile although <see cref="CudaBackendOptions.PairedSwiGluGemm"/> is on (the
    /// driver cannot tell how many clusters fit, or none does), or null.
    /// </summary>
    public string? PairedSwiGluError => _kernels.PairedSwiGluError;

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.Bf16SwiGlu"/>.</summary>
    internal bool? Bf16SwiGluOverride { get; set; }

    private bool Bf16SwiGlu => Bf16SwiGluOverride ?? Options.Bf16SwiGlu;

    // Two held prefill GEMMs of one size on one input: if the next call is SiluMul over their outputs, both
    // write bf16 for it; anything else runs them as usual first.
    private bool HoldsSwiGluPair => PrefillPairs(_groupRows) && _group.Count == 2 && _group.Rows[0] == _group.Rows[1];

    // Whether this GEMM is the next learned member of the open group, on the same input, writing
    // where no member of the group reads or writes.
    private bool JoinsGroup(ulong x, int m, int cols, ulong weights, ulong y, long outputs, bool overwritesInput)
    {
        int n = _group.Count;
        if (n == 0 || n >= SkinnyGemmPlan.MaxMembers || overwritesInput) return false;
        if (_groupInput != x || _groupRows != m || _groupCols != cols) return false;
        // A prefill GEMM of the same size after a held one may be the up of a gate/up pair; learned or not,
        // so that the first call computes exactly what the later ones do.
        bool pairs = n == 1 && PrefillPairs(m) && outputs == (long)m * _group.Rows[0];
        // A third after a held pair is a q/k/v group's value projection, learned or not (held for the K/V store).
        bool third = n == 2 && PrefillPairs(m) && _groupFollowers.Length == 0;
        if (!pairs && !third && (n - 1 >= _groupFollowers.Length || _groupFollowers[n - 1] != weights)) return false;
        for (int i = 0; i < n; i++)
            if (FloatRanges.Overlap(y, outputs, _group.Outputs[i], (long)m * _group.Rows[i])) return false;
        return true;
    }

    // GEMMs called back to back on the same input (q, k, v; gate, up) form a group: remembered by the
    // first weight, so later calls can hold the first members back until the last one arrives and
    // run them in one skinny launch.
    private void Learn(ulong x, int m, int cols, ulong weights)
    {
        if (_chainLength > 0 && _chainLength < SkinnyGemmPlan.MaxMembers && _chainInput == x && _chainRows == m && _chainCols == cols)
        {
            _chain[_chainLength++] = weights;
            _followers[_chain[0]] = _chain[1.._chainLength];
            return;
        }
        _chain[0] = weights;
        _chainLength = 1;
        (_chainInput, _chainRows, _chainCols) = (x, m, cols);
    }

    // Runs the held-back GEMM group: one skinny launch (variant and K split fixed by the options, or
    // chosen per shape by TuneSkinny), or cublasGemmEx per member when the skinny kernels cannot be
    // built or launched here.
    private void FlushGroup(bool keepSplit = false, bool holdValues = false)
    {
        FlushHeldGemm();
        if (_group.Count == 0)
        {
            if (!keepSplit) FlushSplit();
            return;
        }
        FlushSplit();
        var g = _group;
        _group = default;
        int m = _groupRows, k = _groupCols;
        ulong xb = _groupInputBf16;
        var variant = SkinnyVariant;
        // The wgmma kernel takes a group's members in one launch itself: their weights need no fused copy.
        bool wgmma = variant == SkinnyKernelVariant.Wgmma && UseSkinnyKernel(m, k) && SkinnyWgmmaFits(g, m, k, xb);
        if (g.Count > 1 && !wgmma && Options.FusedGroupGemm && !_fusedGroupUnavailable && m <= Options.SkinnyGemmMaxRows && FusedGroup(ref g, m, k, xb))
        {
            if (!keepSplit) FlushSplit();
            return;
        }
        if (!UseSkinnyKernel(m, k))
        {
            for (int i = 0; i < g.Count; i++)
            {
                if (holdValues && i == 2) _heldGemm = new HeldGemm(g.Weights[i], g.Rows[i], k, xb, m, g.Outputs[i]); // launched by the next call
                else Gemm(g.Weights[i], g.Rows[i], k, xb, m, g.Outputs[i]);
            }
            return;
        }
        if (!_skinnyUnavailable)
        {
            if (variant == SkinnyKernelVariant.Wgmma && !wgmma) variant = SkinnyKernelVariant.Rows64;
            int forced = SkinnySplitsOverride ?? Options.SkinnySplits;
            try
            {
                SkinnyCandidate c;
                if (variant != SkinnyKernelVariant.Auto) c = KernelCandidate(g, variant, forced, m, k);
                else
                {
                    var key = (g.Count, g.Rows[0], g.Rows[1], g.Rows[2], k, m);
                    if (!_skinnyChoices.TryGetValue(key, out c))
                    {
                        c = TuneSkinny(g, m, k, xb);
                        _skinnyChoices[key] = c;
                    }
                }
                RunCandidate(c, g, m, k, xb);
                return;
            }
            catch (CudaException e)
            {
                // Compile, load or launch-resource failure: synchronous, so nothing was queued.
                _skinnyUnavailable = true;
                SkinnyKernelError = e.Message;
            }
        }
        for (int i = 0; i < g.Count; i++) GemmEx(g.Weights[i], g.Rows[i], k, xb, m, g.Outputs[i]);
    }

    // y[m × rows] = x[m × cols] · Wᵀ. Column-major view: yᵀ (rows × m) = W (rows × cols, stored as
    // colmajor cols × rows, hence op T) · xᵀ (colmajor cols × m).
    private void Gemm(ulong w, int rows, int cols, ulong xb, int m, ulong y)
    {
        bool tuned = m <= Options.SkinnyGemmMaxRows ? SkinnyPath == SkinnyGemmPath.CublasLtTuned : TunedPrefillGemms;
        if (tuned)
            _ltGemm.Run(w, rows, cols, xb, m, y, () => GemmEx(w, rows, cols, xb, m, y));
        else
            GemmEx(w, rows, cols, xb, m, y);
    }

    // outputType: Cublas.R32F (the seam's activations) or Cublas.R16BF (scratch for a fused pass). beta 1: y += the product.
    private void GemmEx(ulong w, int rows, int cols, ulong xb, int m, ulong y, int outputType = Cublas.R32F, float beta = 0f)
    {
        float alpha = 1f;
        CudaCheck.Blas(Cublas.cublasGemmEx(_blas, Cublas.OpT, Cublas.OpN, rows, m, cols,
            &alpha, w, Cublas.R16BF, cols, xb, Cublas.R16BF, cols,
            &beta, y, outputType, rows, Cublas.Compute32F, Cublas.GemmDefault));
    }
}
