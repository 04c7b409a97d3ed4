using PromptCache.Cuda.Interop;
using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Models;

namespace PromptCache.Cuda.Backend;

// The element-wise ops: RMSNorm (fused with the held residual add), RoPE (deferred to its readers), SiLU·mul, adds.
public sealed unsafe partial class CudaBackend
{
    // Held-back residual add, when nothing fused it.
    private void FlushAdd()
    {
        if (!_hasPendingAdd) return;
        _hasPendingAdd = false;
        _kernels.Add(_pendingAdd.X, _pendingAdd.R, _pendingAdd.Count);
    }

    /// <summary>Why the fused add + RMSNorm was given up, or null.</summary>
    public string? FusedNormError { get; private set; }

    /// <inheritdoc />
    public void AddBias(float* x, int m, float[] bias)
    {
        using (Enter())
        {
            using var chunk = Recorded();
            Begin();
            Reading((ulong)x, (long)m * bias.Length);
            Written((ulong)x, (long)m * bias.Length);
            _kernels.AddBias((ulong)x, _stores.Vector(bias), bias.Length, (long)m * bias.Length);
        }
    }

    /// <inheritdoc />
    public void RmsNorm(float* x, float* y, int rows, int width, float[] weight, float eps)
    {
        if (weight.Length != width) throw new ArgumentException($"RMSNorm weight has {weight.Length} values for rows of {width}.", nameof(weight));
        using (Enter())
        {
            using var chunk = Recorded();
            FlushAttention();
            FlushGroup();
            _chainLength = 0;
            long count = (long)rows * width;
            ulong w = _stores.Vector(weight);
            Reading((ulong)x, count);
            // A norm into another buffer feeds GEMMs (its bf16 copy alone is written); one in place is
            // Qwen3's q/k norm, which RoPE reads next.
            bool only = GemmInputsOnly && !FloatRanges.Overlap((ulong)y, count, (ulong)x, count);
            ulong yf = only ? 0 : (ulong)y;
            if (_hasPendingAdd && _pendingAdd.X == (ulong)x && _pendingAdd.Count == count && CanFuseNorm(width, (ulong)x, (ulong)y, _pendingAdd.R))
            {
                _hasPendingAdd = false;
                if (TryAddRmsNorm((ulong)x, _pendingAdd.R, yf, w, rows, width, eps, Claim((ulong)y, count, only))) return;
                _hasPendingAdd = true; // run it alone below
            }
            FlushAdd();
            ulong copy = Claim((ulong)y, count, only);
            // With the fusion on, a norm with no add before it (the residual was added inside a GEMM) runs the same
            // kernel without the add, so its rounding is the fused path's whichever way the residual arrived.
            if (Options.FuseResidualNorm && CanFuseNorm(width, (ulong)x, (ulong)y, 0) && TryAddRmsNorm((ulong)x, 0, yf, w, rows, width, eps, copy)) return;
            _kernels.RmsNorm((ulong)x, yf, w, rows, width, eps, copy);
        }
    }

    // add_rmsnorm4 (r 0: no add); false, with the fusion given up for good, when its unit cannot be built or launched.
    private bool TryAddRmsNorm(ulong x, ulong r, ulong yf, ulong w, int rows, int width, float eps, ulong copy)
    {
        try
        {
            _kernels.AddRmsNorm(x, r, yf, w, rows, width, eps, copy);
            return true;
        }
        catch (CudaException e)
        {
            _fusedNormUnavailable = true;
            FusedNormError = e.Message;
            return false;
        }
    }

    private bool CanFuseNorm(int width, ulong x, ulong y, ulong r) =>
        !_fusedNormUnavailable && width > 256 && width % 4 == 0 && ((x | y | r) & 15) == 0;

    /// <inheritdoc />
    public void Rope(float* x, int m, int heads, RopeTable table, RopeStyle style)
    {
        if (table.Tokens < m) throw new ArgumentException($"The RoPE table has {table.Tokens} rows for {m} tokens.", nameof(table));
        using (Enter())
        {
            using var chunk = Recorded();
            bool defer = RopeInReaders && m > 0;
            bool newTable = _deferredRopes.AnyFrom(table);
            // Deferred, nothing is launched here but the table's upload, which only held attention may read: a held
            // value projection stays held for the K/V store (ValuesIntoSegment).
            if (defer && !newTable) FlushAttention();
            else Begin();
            if (newTable) _deferredRopes.ApplyAll(); // they read the device table replaced now
            var (cos, sin) = _stores.Rope(table);
            Reading((ulong)x, (long)m * heads * 2 * table.HalfDim);
            Written((ulong)x, (long)m * heads * 2 * table.HalfDim);
            bool interleaved = style == RopeStyle.Interleaved;
            if (defer)
            {
                _deferredRopes.Defer(new DeferredRopes.Pending((ulong)x, m, heads, table.HalfDim, interleaved, cos, sin, table));
                return;
            }
            LaunchRope((ulong)x, cos, sin, m, heads, table.HalfDim, interleaved);
        }
    }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.RopeInReaders"/>.</summary>
    internal bool? RopeInReadersOverride { get; set; }

    private bool RopeInReaders => RopeInReadersOverride ?? Options.RopeInReaders;

    /// <summary>K/V stores that rotated K themselves (checks: the path ran).</summary>
    internal long RotatingStores { get; private set; }

    /// <summary>wgmma launches that rotated q as they loaded it (checks: the path ran).</summary>
    internal long RotatingAttentionLaunches { get; private set; }

    private void LaunchRope(ulong x, ulong cos, ulong sin, int m, int heads, int half, bool interleaved)
    {
        if (Options.RowRope && !_rowRopeUnavailable && (interleaved || half % 2 == 0))
        {
            try
            {
                _kernels.RopeRows(x, cos, sin, m, heads, half, interleaved);
                return;
            }
            catch (CudaException e)
            {
                _rowRopeUnavailable = true;
                FusedNormError = e.Message;
            }
        }
        _kernels.Rope(x, cos, sin, m, heads, half, interleaved);
    }

    /// <inheritdoc />
    public void SiluMul(float* gate, float* up, long count)
    {
        using (Enter())
        {
            using var chunk = Recorded();
            if (HoldsSwiGluPair && _group.Outputs[0] == (ulong)gate && _group.Outputs[1] == (ulong)up
                && count == (long)_groupRows * _group.Rows[0] && count % 4 == 0 && (((ulong)gate | (ulong)up) & 15) == 0)
            {
                FlushHeldGemm();
                if (FusedSwiGlu && SwiGluGemm(gate, count)) return;
                if (Bf16SwiGlu)
                {
                    SwiGluBf16(gate, up, count);
                    return;
                }
            }
            FlushGroup(keepSplit: true);
            FlushAdd();
            _chainLength = 0;
            var p = _pendingSplit;
            if (_hasPendingSplit && p.Gate == (ulong)gate && p.Up == (ulong)up && count == (long)p.M * p.F)
            {
                // The fused gate/up GEMM's output is split by this one pass.
                _hasPendingSplit = false;
                Written((ulong)up, count);
                ulong fusedCopy = Claim((ulong)gate, count, GemmInputsOnly);
                _kernels.SiluMulConcat(p.Y, p.M, p.F, GemmInputsOnly ? 0 : (ulong)gate, (ulong)up, fusedCopy);
                return;
            }
            FlushSplit();
            Reading((ulong)gate, count);
            Reading((ulong)up, count);
            // SwiGLU's output feeds the down projection: with GemmInputsOnly only its bf16 copy is written.
            ulong copy = Claim((ulong)gate, count, GemmInputsOnly);
            _kernels.SiluMul((ulong)gate, (ulong)up, GemmInputsOnly ? 0 : (ulong)gate, count, copy);
        }
    }

    // The held gate/up pair's GEMMs write bf16 into up's memory (m·f·2 bytes each: both fit in its
    // m·f floats), then one pass makes gate = silu(g)·u and its bf16 copy for the down GEMM.
    private void SwiGluBf16(float* gate, float* up, long count)
    {
        var g = _group;
        _group = default;
        int m = _groupRows, k = _groupCols, f = g.Rows[0];
        ulong xb = _groupInputBf16;
        ulong gateBf16 = (ulong)up, upBf16 = (ulong)up + (ulong)(count * sizeof(ushort));
        FlushAdd();
        _chainLength = 0;
        GemmEx(g.Weights[0], f, k, xb, m, gateBf16, Cublas.R16BF);
        GemmEx(g.Weights[1], f, k, xb, m, upBf16, Cublas.R16BF);
        ulong copy = Claim((ulong)gate, count, GemmInputsOnly); // after the GEMMs that read xb
        _kernels.SiluMulBf16(gateBf16, upBf16, GemmInputsOnly ? 0 : (ulong)gate, copy, count);
    }

    /// <inheritdoc />
    public void Add(float* x, float* y, long count)
    {
        using (Enter())
        {
            using var chunk = Recorded();
            Begin();
            Reading((ulong)x, count);
            Reading((ulong)y, count);
            Written((ulong)x, count);
            if (Options.FuseResidualNorm && !_fusedNormUnavailable)
            {
                // Held back: if the next call is RmsNorm over these rows of x, one kernel does both.
                _pendingAdd = ((ulong)x, (ulong)y, count);
                _hasPendingAdd = true;
                return;
            }
            _kernels.Add((ulong)x, (ulong)y, count);
        }
    }
}
