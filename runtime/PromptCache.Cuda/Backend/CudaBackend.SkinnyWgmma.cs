using PromptCache.Cuda.Interop;

namespace PromptCache.Cuda.Backend;

// The Hopper skinny GEMM (skinny_wgmma.cu, SkinnyKernelVariant.Wgmma): when a group may take it, and its launch.
public sealed unsafe partial class CudaBackend
{
    private bool _skinnyWgmmaUnavailable;

    /// <summary>Why the wgmma skinny GEMM (<see cref="SkinnyKernelVariant.Wgmma"/>) was given up, or null.</summary>
    public string? SkinnyWgmmaError { get; private set; }

    /// <summary>Launches of the wgmma skinny GEMM (checks: the path ran).</summary>
    internal long SkinnyWgmmaLaunches { get; private set; }

    /// <summary>Benchmarks only: overrides <see cref="CudaBackendOptions.DependentLaunches"/>.</summary>
    internal bool? DependentLaunchesOverride
    {
        get => _dependentLaunchesOverride;
        set
        {
            using (Enter())
            {
                _dependentLaunchesOverride = value;
                _graphs.Salt = value is { } on ? (on ? 1ul : 2ul) : 0ul; // graphs recorded the other way are not updated in place
                SetDependentSmallKernels();
            }
        }
    }

    private bool? _dependentLaunchesOverride;

    private bool DependentLaunches => DependentLaunchesOverride ?? Options.DependentLaunches;

    // The small kernels between wgmma GEMMs start as dependents too once such a GEMM has run (they wait for their predecessor).
    private void SetDependentSmallKernels() => _kernels.DependentSmallKernels = DependentLaunches && SkinnyWgmmaLaunches > 0;

    /// <summary>Why launches meant to start as programmatic dependents (<see cref="CudaBackendOptions.DependentLaunches"/>) ran plainly, or null.</summary>
    public string? DependentLaunchError => _kernels.DependentLaunchError;

    // Hopper, a unit that builds, and operands the copy engine reads (16-byte aligned, rows of whole 16 bytes) with outputs
    // the kernel's 4-float atomics can write (16-byte aligned).
    private bool SkinnyWgmmaFits(in SkinnyGroupArgs g, int m, int k, ulong xb)
    {
        if (_skinnyWgmmaUnavailable || !IsHopper || !SkinnyWgmmaPlan.Supports(m, k) || (xb & 15) != 0)
            return false;
        for (int i = 0; i < g.Count; i++)
            if (((g.Weights[i] | g.Outputs[i]) & 15) != 0) return false;
        try
        {
            _kernels.PrepareSkinnyWgmma(m);
            return true;
        }
        catch (CudaException e)
        {
            // The unit does not build here: do not try again for every shape.
            _skinnyWgmmaUnavailable = true;
            SkinnyWgmmaError = e.Message;
            return false;
        }
    }

    private void RunSkinnyWgmma(in SkinnyGroupArgs g, int m, int k, ulong xb)
    {
        var args = new SkinnyWgmmaArgs { Count = g.Count };
        for (int i = 0; i < g.Count; i++)
        {
            args.Weights[i] = WeightMap(g.Weights[i], g.Rows[i], k, SkinnyWgmmaPlan.BoxRows);
            args.Outputs[i] = g.Outputs[i];
            args.Rows[i] = g.Rows[i];
            args.Tiles[i + 1] = args.Tiles[i] + SkinnyWgmmaPlan.Tiles(g.Rows[i]);
        }
        var x = TensorMap.Bf16Rows(xb, m, k, SkinnyWgmmaPlan.TokenTile(m));
        _kernels.SkinnyWgmma(args, x, m, k, DependentLaunches);
        SkinnyWgmmaLaunches++;
        SetDependentSmallKernels();
    }
}
