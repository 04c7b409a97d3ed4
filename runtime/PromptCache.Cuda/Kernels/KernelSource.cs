using System.Reflection;

namespace PromptCache.Cuda.Kernels;

/// <summary>The CUDA C sources embedded in this assembly (Kernels/*.cu and *.cuh).</summary>
internal static class KernelSource
{
    private const string Prefix = "PromptCache.Cuda.Kernels.";

    /// <summary>The element-wise and row-wise kernels of the forward pass.</summary>
    public const string Transformer = "transformer.cu";

    /// <summary>The attention kernels (compiled per head dimension).</summary>
    public const string Attention = "attention.cu";

    /// <summary>
    /// The pipelined attention kernels: compiled as a unit of their own after <see cref="Attention"/>
    /// (whose helpers they use), so a compile error there cannot take the older kernels down.
    /// </summary>
    public const string AttentionPipelined = "attention_pipelined.cu";

    /// <summary>
    /// The Hopper prefill attention kernel (wgmma): compiled after <see cref="Attention"/> and
    /// <see cref="AttentionPipelined"/> for the sm_90a target only, as a unit of its own.
    /// </summary>
    public const string AttentionWgmma = "attention_wgmma.cu";

    /// <summary>
    /// The skinny-GEMM kernels (few activation rows × a whole weight matrix, up to three matrices per
    /// launch): a unit of their own, so a compile error there leaves the cuBLAS paths working.
    /// </summary>
    public const string SkinnyGemm = "skinny_gemm.cu";

    /// <summary>The residual add fused with the next RMSNorm: a unit of its own for the same reason.</summary>
    public const string FusedNorm = "fused_norm.cu";

    /// <summary>The split of a GEMM over concatenated weights into its members' outputs: a unit of its own for the same reason.</summary>
    public const string GroupSplit = "group_split.cu";

    /// <summary>
    /// The Hopper prefill GEMM with SiLU·mul in its epilogue (TMA and wgmma): compiled for the sm_90a target only,
    /// as a unit of its own, so a compile error there leaves the cuBLAS path working.
    /// </summary>
    public const string GemmWgmma = "gemm_wgmma.cu";

    /// <summary>
    /// The Hopper skinny GEMM (TMA and wgmma; few activation rows): compiled for the sm_90a target only, as a unit of its
    /// own, so a compile error there leaves the other skinny paths working.
    /// </summary>
    public const string SkinnyWgmma = "skinny_wgmma.cu";

    /// <summary>The helpers every kernel file is compiled with.</summary>
    public const string Common = "common.cuh";

    /// <summary>The names of every embedded source.</summary>
    public static IReadOnlyList<string> Names() =>
        typeof(KernelSource).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal))
            .Select(n => n[Prefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToArray();

    /// <summary>The text of one embedded source.</summary>
    /// <exception cref="FileNotFoundException">No such embedded source.</exception>
    public static string Read(string fileName)
    {
        using var stream = typeof(KernelSource).Assembly.GetManifestResourceStream(Prefix + fileName)
            ?? throw new FileNotFoundException($"Kernel source '{fileName}' is not embedded in {typeof(KernelSource).Assembly.GetName().Name}.", fileName);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>A compilation unit: the common helpers followed by <paramref name="fileName"/>.</summary>
    public static string Unit(string fileName) => Unit([fileName]);

    /// <summary>A compilation unit of several files: the common helpers, then each file behind its own line directive.</summary>
    public static string Unit(IReadOnlyList<string> fileNames) =>
        Read(Common) + string.Concat(fileNames.Select(f => "\n#line 1 \"" + f + "\"\n" + Read(f)));
}
