namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// Which instruction set the GEMM uses. <see cref="Auto"/> picks the widest one the CPU has; the
/// others exist so that tests can exercise every path on an AVX-512 machine.
/// </summary>
internal enum GemmPath
{
    /// <summary>Widest supported: Vector512, else Vector256 with FMA, else scalar.</summary>
    Auto,

    /// <summary>Plain scalar code: the fallback for CPUs without AVX2/FMA.</summary>
    Scalar,

    /// <summary>AVX2 + FMA, 8 floats per register.</summary>
    Vector256,

    /// <summary>AVX-512F, 16 floats per register.</summary>
    Vector512,
}

/// <summary>Resolves <see cref="GemmPath.Auto"/> and rejects paths the CPU cannot run.</summary>
internal static class GemmPaths
{
    /// <summary>True when the Vector512 kernels can run (AVX-512F and BW for the conversions).</summary>
    public static bool Vector512Supported =>
        System.Runtime.Intrinsics.X86.Avx512F.IsSupported && System.Runtime.Intrinsics.X86.Avx512BW.IsSupported;

    /// <summary>True when the Vector256 kernels can run (AVX2 and FMA3).</summary>
    public static bool Vector256Supported =>
        System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported;

    /// <summary>The concrete path to run for a requested one.</summary>
    public static GemmPath Resolve(GemmPath requested)
    {
        switch (requested)
        {
            case GemmPath.Auto:
                return Vector512Supported ? GemmPath.Vector512 : Vector256Supported ? GemmPath.Vector256 : GemmPath.Scalar;
            case GemmPath.Vector512 when !Vector512Supported:
                throw new PlatformNotSupportedException("The Vector512 GEMM path needs AVX-512F and AVX-512BW.");
            case GemmPath.Vector256 when !Vector256Supported:
                throw new PlatformNotSupportedException("The Vector256 GEMM path needs AVX2 and FMA.");
            default:
                return requested;
        }
    }
}
