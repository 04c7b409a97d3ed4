using PromptCache.Cuda.Interop;

namespace PromptCache.Cuda.Backend;

// Skinny GEMM groups (q/k/v, gate/up) as one cuBLAS(Lt) GEMM over their weights placed back to back, then the split.
public sealed unsafe partial class CudaBackend
{
    /// <summary>Why the fused group GEMM (<see cref="CudaBackendOptions.FusedGroupGemm"/>) was given up, or null.</summary>
    public string? FusedGroupError { get; private set; }

    private readonly List<string> _fusedGroupLog = new();

    /// <summary>With <see cref="CudaBackendOptions.FusedGroupGemm"/>: one line per group shape (fused or why not).</summary>
    public IReadOnlyList<string> FusedGroupLog
    {
        get
        {
            using (Enter()) return _fusedGroupLog.ToArray();
        }
    }

    // One GEMM over the group's weights back to back (moved together on first use), then the split:
    // at once for q/k/v, deferred to the SiluMul for gate/up. False (nothing launched, g's weights
    // updated if they moved) when this group cannot be fused; the caller then runs it apart.
    private bool FusedGroup(ref SkinnyGroupArgs g, int m, int k, ulong xb)
    {
        int total = 0;
        bool aligned = true;
        for (int i = 0; i < g.Count; i++)
        {
            total += g.Rows[i];
            aligned &= g.Rows[i] % 4 == 0 && (g.Outputs[i] & 15) == 0;
        }
        var rows = new int[g.Count];
        for (int i = 0; i < g.Count; i++) rows[i] = g.Rows[i];
        string shape = $"{m} x [{string.Join("+", rows)}] x {k}";
        if (!aligned)
        {
            NoteGroup($"group {shape}: apart (outputs not 16-byte aligned multiples of 4 floats)");
            return false;
        }
        var members = new ulong[g.Count];
        for (int i = 0; i < g.Count; i++) members[i] = g.Weights[i];
        ulong[]? placed;
        try
        {
            placed = _weights.Coalesce(members, k);
            // Compile group_split.cu now, before anything is launched, so a build error falls back cleanly.
            _modules.GroupSplit("split_columns");
            _modules.GroupSplit("silu_mul_concat");
        }
        catch (CudaException e)
        {
            _fusedGroupUnavailable = true;
            FusedGroupError = e.Message;
            return false;
        }
        if (placed is null)
        {
            NoteGroup($"group {shape}: apart (weights cannot be placed back to back)");
            return false;
        }
        if (placed[0] != members[0])
        {
            // The weights moved: the learned group and this launch use their new addresses.
            _followers.Remove(members[0]);
            _followers[placed[0]] = placed[1..];
            _chainLength = 0;
            for (int i = 0; i < g.Count; i++) g.Weights[i] = placed[i];
        }
        ulong y = _groupOutput.Get((long)m * total * sizeof(float));
        ulong w = g.Weights[0];
        _ltGemm.Run(w, total, k, xb, m, y, () => GemmEx(w, total, k, xb, m, y));
        if (g.Count == 2 && g.Rows[0] == g.Rows[1])
        {
            _pendingSplit = (y, m, g.Rows[0], g.Outputs[0], g.Outputs[1]);
            _hasPendingSplit = true;
        }
        else
            _kernels.SplitColumns(y, m, g.Outputs[0], g.Rows[0], g.Outputs[1], g.Rows[1], g.Count > 2 ? g.Outputs[2] : 0, g.Count > 2 ? g.Rows[2] : 0);
        NoteGroup($"group {shape}: one GEMM of {total} rows");
        return true;
    }

    private void NoteGroup(string line)
    {
        if (!_fusedGroupLog.Contains(line)) _fusedGroupLog.Add(line);
    }

    // Splits a fused gate/up output that no SiluMul consumed.
    private void FlushSplit()
    {
        if (!_hasPendingSplit) return;
        _hasPendingSplit = false;
        var p = _pendingSplit;
        _kernels.SplitColumns(p.Y, p.M, p.Gate, p.F, p.Up, p.F, 0, 0);
    }
}
