using PromptCache.Cuda.Backend;
using PromptCache.Cuda.Device;
using PromptCache.Cuda.Kernels;

namespace PromptCache.Cuda.Tests;

/// <summary>
/// On a GPU: every NVRTC unit compiles for this device and exposes the kernels the launchers name. The
/// backend falls back to slower kernels when a unit fails to build (so that a driver without a feature
/// still runs), which the parity tests cannot see: their logits stay right on the fallback. A typo in
/// a fast kernel must fail here instead.
/// </summary>
[Collection(CudaDeviceCollection.Name)]
public sealed class GpuKernelUnitTests
{
    [CudaTheory]
    [InlineData(64)]
    [InlineData(128)]
    public void Every_kernel_unit_compiles_for_this_gpu(int headDim)
    {
        using var device = CudaDevice.Open();
        using var modules = new KernelModules(device, new KernelCache(null)); // no disk cache: really compile
        foreach (string kernel in new[] { "rmsnorm", "silu_mul", "store_kv_bf16", "argmax_rows" })
            Assert.NotEqual(IntPtr.Zero, modules.Transformer(kernel));
        Assert.NotEqual(IntPtr.Zero, modules.FusedNorm("add_rmsnorm4"));
        Assert.NotEqual(IntPtr.Zero, modules.GroupSplit("silu_mul_concat"));
        Assert.NotEqual(IntPtr.Zero, modules.SkinnyGemm("skinny_gemm_mt1"));
        Assert.NotEqual(IntPtr.Zero, modules.Attention(headDim, "attention_combine"));
        if (device.ComputeCapability.Major < 8) return; // the tensor-core kernels need SM 8.0
        Assert.NotEqual(IntPtr.Zero, modules.Attention(headDim, "attention_tiled"));
        Assert.NotEqual(IntPtr.Zero, modules.AttentionPipelined(headDim, "attention_pipelined_wide"));
        if (device.ComputeCapability is not { Major: 9, Minor: 0 } || !DeviceKernels.WgmmaSupported(headDim)) return;
        Assert.NotEqual(IntPtr.Zero, modules.AttentionWgmma(headDim, "attention_wgmma"));
        Assert.NotEqual(IntPtr.Zero, modules.AttentionWgmma(headDim, "attention_wgmma_wide"));
        Assert.NotEqual(IntPtr.Zero, modules.AttentionWgmma(headDim, "attention_wgmma_ws"));
    }
}
