using PromptCache.Cuda.Device;
using PromptCache.Cuda.Interop;
using PromptCache.Cuda.Kernels;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// Typed launchers for the kernels: one method per kernel, so argument order and types are written down once, next to
/// the CUDA signature they must match. Here the element-wise and row-wise ones (transformer.cu, fused_norm.cu,
/// group_split.cu); the attention and GEMM launchers are in DeviceKernels.Attention.cs and DeviceKernels.Gemm.cs.
/// </summary>
internal sealed unsafe partial class DeviceKernels : IDisposable
{
    private const uint Threads = 256;
    private readonly CudaDevice _device;
    private readonly KernelModules _modules;

    public DeviceKernels(CudaDevice device, KernelModules modules)
    {
        _device = device;
        _modules = modules;
    }

    /// <summary>Blocks for a grid-stride loop over <paramref name="n"/> elements: enough to fill the chip, no more.</summary>
    private uint GridFor(long n) => (uint)Math.Clamp((n + Threads - 1) / Threads, 1, (long)_device.MultiprocessorCount * 32);

    private void Launch(IntPtr function, uint gx, uint gy, uint gz, uint block, void** args, uint sharedBytes = 0, CudaStream? stream = null)
    {
        _device.MakeCurrent();
        CudaCheck.Driver(CuDriver.cuLaunchKernel(function, gx, gy, gz, block, 1, 1, sharedBytes, (stream ?? _device.Stream).Value, args, null));
    }

    /// <summary>Why launches that asked to start as programmatic dependents ran as plain ones, or null.</summary>
    public string? DependentLaunchError { get; private set; }

    /// <summary>
    /// Whether the kernels that sit between the skinny wgmma GEMMs of a cached call or decode step (rmsnorm, add_rmsnorm4,
    /// silu_mul, rope_store_kv, attention_combine; each waits with <c>pdl_wait</c> first thing) start as programmatic
    /// dependents too, their blocks up while the GEMM before them finishes. Set by the backend while that GEMM runs with
    /// dependent launches.
    /// </summary>
    public bool DependentSmallKernels { get; set; }

    // A launch that may start before the previous kernel in the stream ends (the kernel waits for it with griddepcontrol).
    private void LaunchMaybeDependent(IntPtr function, uint gx, uint gy, uint block, void** args, uint sharedBytes, bool dependent)
    {
        if (!dependent || DependentLaunchError is not null)
        {
            Launch(function, gx, gy, 1, block, args, sharedBytes);
            return;
        }
        _device.MakeCurrent();
        var attribute = new CuDriver.LaunchAttribute { Id = CuDriver.LaunchAttributeProgrammaticStreamSerialization, Value = 1 };
        var config = new CuDriver.LaunchConfig
        {
            GridX = gx, GridY = gy, GridZ = 1, BlockX = block, BlockY = 1, BlockZ = 1, SharedBytes = sharedBytes,
            Stream = _device.Stream.Value, Attributes = (IntPtr)(&attribute), AttributeCount = 1,
        };
        try
        {
            CudaCheck.Driver(CuDriver.cuLaunchKernelEx(&config, function, args, null));
        }
        catch (Exception e) when (e is CudaException or EntryPointNotFoundException)
        {
            // A driver without the attribute or the entry point: the kernels also run launched plainly (their waits then
            // return at once). When the plain launch fails too, the launch itself was at fault: that error propagates.
            Launch(function, gx, gy, 1, block, args, sharedBytes);
            DependentLaunchError = e.Message;
        }
    }

    // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES: more than 48 KB of dynamic shared memory is opt-in per kernel.
    private const int MaxDynamicSharedSizeBytes = 8;
    private readonly Dictionary<IntPtr, int> _sharedOptIn = new();

    private void EnsureDynamicShared(IntPtr function, int bytes)
    {
        if (_sharedOptIn.TryGetValue(function, out int granted) && granted >= bytes) return;
        _device.MakeCurrent();
        CudaCheck.Driver(CuDriver.cuFuncSetAttribute(function, MaxDynamicSharedSizeBytes, bytes));
        _sharedOptIn[function] = bytes;
    }

    private void Elementwise(string kernel, long n, void** args, CudaStream? stream = null) =>
        Launch(_modules.Transformer(kernel), GridFor(n), 1, 1, Threads, args, stream: stream);

    /// <summary>y = bf16(x) for n f32 values; on <paramref name="stream"/> (default: the compute stream).</summary>
    public void ConvertF32ToBf16(ulong x, ulong y, long n, CudaStream? stream = null)
    {
        if (n == 0) return;
        void** a = stackalloc void*[] { &x, &y, &n };
        Elementwise("convert_f32_to_bf16", n, a, stream);
    }

    /// <summary>y = bf16(x) for n f16 values; on <paramref name="stream"/> (default: the compute stream).</summary>
    public void ConvertF16ToBf16(ulong x, ulong y, long n, CudaStream? stream = null)
    {
        if (n == 0) return;
        void** a = stackalloc void*[] { &x, &y, &n };
        Elementwise("convert_f16_to_bf16", n, a, stream);
    }

    public void ConvertBf16ToF32(ulong x, ulong y, long n)
    {
        if (n == 0) return;
        void** a = stackalloc void*[] { &x, &y, &n };
        Elementwise("convert_bf16_to_f32", n, a);
    }

    public void ConvertBf16ToF16(ulong x, ulong y, long n)
    {
        if (n == 0) return;
        void** a = stackalloc void*[] { &x, &y, &n };
        Elementwise("convert_bf16_to_f16", n, a);
    }

    public void DequantQ8_0(ulong x, ulong y, long rows, int cols)
    {
        void** a = stackalloc void*[] { &x, &y, &rows, &cols };
        Elementwise("dequant_q8_0_to_bf16", rows * cols, a);
    }

    public void FillRandomBf16(ulong y, long n, ulong seed, float scale)
    {
        void** a = stackalloc void*[] { &y, &n, &seed, &scale };
        Elementwise("fill_random_bf16", n, a);
    }

    public void Embed(ulong table, ulong ids, ulong y, int tokens, int d)
    {
        void** a = stackalloc void*[] { &table, &ids, &y, &d };
        Launch(_modules.Transformer("embed_bf16"), (uint)tokens, 1, 1, Threads, a);
    }

    /// <summary>RMSNorm into <paramref name="y"/> and/or (either may be 0) its bf16 copy <paramref name="yBf16"/>.</summary>
    public void RmsNorm(ulong x, ulong y, ulong w, int rows, int width, float eps, ulong yBf16)
    {
        if (rows == 0) return;
        if (width <= 256)
        {
            // Short rows (per-head q/k norm): a warp per row keeps all lanes busy.
            const int WarpsPerBlock = 8;
            void** a = stackalloc void*[] { &x, &y, &w, &rows, &width, &eps, &yBf16 };
            Launch(_modules.Transformer("rmsnorm_warp"), (uint)((rows + WarpsPerBlock - 1) / WarpsPerBlock), 1, 1, 32 * WarpsPerBlock, a);
        }
        else
        {
            void** a = stackalloc void*[] { &x, &y, &w, &width, &eps, &yBf16 };
            LaunchMaybeDependent(_modules.Transformer("rmsnorm"), (uint)rows, 1, width >= 2048 ? 512u : 256u, a, 0, DependentSmallKernels);
        }
    }

    /// <summary>add_rmsnorm4 of fused_norm.cu: x += r (when r is not 0), then y = RMSNorm(x)·w and its bf16 copy yb (0 for none).</summary>
    public void AddRmsNorm(ulong x, ulong r, ulong y, ulong w, int rows, int width, float eps, ulong yBf16)
    {
        if (rows == 0) return;
        void** a = stackalloc void*[] { &x, &r, &y, &w, &width, &eps, &yBf16 };
        LaunchMaybeDependent(_modules.FusedNorm("add_rmsnorm4"), (uint)rows, 1, width >= 4096 ? 512u : 256u, a, 0, DependentSmallKernels);
    }

    /// <summary>rope_rows of fused_norm.cu: one block per token over all heads (half must be even unless interleaved).</summary>
    public void RopeRows(ulong x, ulong cos, ulong sin, int tokens, int heads, int half, bool interleaved)
    {
        if (tokens == 0) return;
        int style = interleaved ? 1 : 0;
        void** a = stackalloc void*[] { &x, &cos, &sin, &heads, &half, &style };
        Launch(_modules.FusedNorm("rope_rows"), (uint)tokens, 1, 1, 256, a);
    }

    /// <summary>
    /// rope_store_kv of fused_norm.cu: K rotated and both stored as bf16 (k itself left unrotated). Needs
    /// <see cref="RopeStoreKvFits"/>.
    /// </summary>
    public void RopeStoreKv(ulong k, ulong v, ulong kDestination, ulong vDestination, ulong cos, ulong sin, int tokens, int heads, int half, bool interleaved)
    {
        if (tokens == 0) return;
        int style = interleaved ? 1 : 0;
        void** a = stackalloc void*[] { &k, &v, &kDestination, &vDestination, &cos, &sin, &heads, &half, &style };
        int perToken = SplitRopeStore ? RopeStoreKvBlocksPerToken(tokens, heads * 2 * half, _device.MultiprocessorCount) : 1;
        LaunchMaybeDependent(_modules.FusedNorm("rope_store_kv"), (uint)tokens, (uint)perToken, RopeStoreThreads, a, 0, DependentSmallKernels);
    }

    /// <summary>Whether rope_store_kv takes several blocks per token when there are few (benchmarks turn it off to compare).</summary>
    public bool SplitRopeStore { get; set; } = true;

    /// <summary>
    /// rope_store_kv's blocks per token: enough for about two blocks per multiprocessor when there are few tokens, and
    /// no more than a token's values give 256 threads a value pair (or four V values) each.
    /// </summary>
    public static int RopeStoreKvBlocksPerToken(int tokens, int width, int multiprocessors) =>
        Math.Clamp(Math.Min(2 * multiprocessors / Math.Max(tokens, 1), width / 4 / RopeStoreThreads), 1, 16);

    private const int RopeStoreThreads = 256;

    /// <summary>Whether rope_store_kv's vector accesses fit these rows (their widths and addresses).</summary>
    public static bool RopeStoreKvFits(int heads, int half, bool interleaved, ulong k, ulong v, ulong kDestination, ulong vDestination) =>
        (interleaved || half % 2 == 0) && heads * 2 * half % 4 == 0 && ((k | v) & 15) == 0 && ((kDestination | vDestination) & 7) == 0;

    public void Rope(ulong x, ulong cos, ulong sin, int tokens, int heads, int half, bool interleaved)
    {
        int style = interleaved ? 1 : 0;
        void** a = stackalloc void*[] { &x, &cos, &sin, &heads, &half, &style };
        Launch(_modules.Transformer("rope"), (uint)tokens, (uint)heads, 1, (uint)Math.Min(((half + 31) / 32) * 32, 256), a);
    }

    /// <summary>SwiGLU, silu(gate)·up into <paramref name="output"/> (0 for none; may be gate) and/or its bf16 copy <paramref name="gateBf16"/> (0 for none).</summary>
    public void SiluMul(ulong gate, ulong up, ulong output, long n, ulong gateBf16)
    {
        void** a = stackalloc void*[] { &gate, &up, &output, &n, &gateBf16 };
        LaunchMaybeDependent(_modules.Transformer("silu_mul"), GridFor(n), 1, Threads, a, 0, DependentSmallKernels);
    }

    /// <summary>split_columns of group_split.cu: y[m × (n0+n1+n2)] into out_i[m × n_i] (n_i multiples of 4, buffers 16-byte aligned; n2 may be 0).</summary>
    public void SplitColumns(ulong y, int m, ulong out0, int n0, ulong out1, int n1, ulong out2, int n2)
    {
        if (m == 0) return;
        int total = n0 + n1 + n2;
        void** a = stackalloc void*[] { &y, &total, &out0, &n0, &out1, &n1, &out2, &n2 };
        Launch(_modules.GroupSplit("split_columns"), (uint)((total / 4 + Threads - 1) / Threads), (uint)m, 1, Threads, a);
    }

    /// <summary>silu_mul_concat of group_split.cu: y[m × 2f] (gate then up per token) into gate = silu(g)·u, up = u and gateBf16 (0 for none); f a multiple of 4, buffers 16-byte aligned.</summary>
    public void SiluMulConcat(ulong y, int m, int f, ulong gate, ulong up, ulong gateBf16)
    {
        if (m == 0 || f == 0) return;
        void** a = stackalloc void*[] { &y, &f, &gate, &up, &gateBf16 };
        Launch(_modules.GroupSplit("silu_mul_concat"), (uint)((f / 4 + Threads - 1) / Threads), (uint)m, 1, Threads, a);
    }

    /// <summary>silu_mul_bf16 of group_split.cu: gate = silu(g)·u from bf16 g and u, and its bf16 copy; n a multiple of 4, buffers 8-byte aligned.</summary>
    public void SiluMulBf16(ulong g, ulong u, ulong gate, ulong gateBf16, long n)
    {
        if (n == 0) return;
        void** a = stackalloc void*[] { &g, &u, &gate, &gateBf16, &n };
        Launch(_modules.GroupSplit("silu_mul_bf16"), GridFor(n / 4), 1, 1, Threads, a);
    }

    public void Add(ulong x, ulong y, long n)
    {
        void** a = stackalloc void*[] { &x, &y, &n };
        Elementwise("add_inplace", n, a);
    }

    public void AddBias(ulong x, ulong b, int width, long n)
    {
        void** a = stackalloc void*[] { &x, &b, &width, &n };
        Elementwise("add_bias", n, a);
    }

    public void StoreKvBf16(ulong k, ulong v, ulong kDestination, ulong vDestination, long n)
    {
        void** a = stackalloc void*[] { &k, &v, &kDestination, &vDestination, &n };
        Elementwise("store_kv_bf16", n, a);
    }

    public void ArgmaxRows(ulong logits, int rows, int vocab, ulong output)
    {
        void** a = stackalloc void*[] { &logits, &vocab, &output };
        Launch(_modules.Transformer("argmax_rows"), (uint)rows, 1, 1, 1024, a);
    }
}
