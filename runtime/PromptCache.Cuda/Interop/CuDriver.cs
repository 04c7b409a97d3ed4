using System.Runtime.InteropServices;

namespace PromptCache.Cuda.Interop;

/// <summary>
/// The slice of the CUDA driver API (libcuda) the backend uses. Signatures follow cuda.h; the
/// <c>_v2</c> suffixes are the symbols cuda.h's macros have named since CUDA 4 (64-bit sizes and
/// device pointers). Every function returns a CUresult that callers pass to <see cref="CudaCheck"/>.
/// </summary>
internal static unsafe partial class CuDriver
{
    private const string Lib = CudaLibraryNames.Driver;

    // Device attributes (CUdevice_attribute).
    public const int AttributeMultiprocessorCount = 16;
    public const int AttributeComputeCapabilityMajor = 75;
    public const int AttributeComputeCapabilityMinor = 76;
    public const int AttributeMaxSharedMemoryPerBlockOptin = 97;

    /// <summary>CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES.</summary>
    public const int FuncAttributeMaxDynamicSharedSize = 8;

    /// <summary>CU_STREAM_NON_BLOCKING: no implicit sync with the legacy default stream.</summary>
    public const uint StreamNonBlocking = 1;

    /// <summary>CU_EVENT_DEFAULT (timing enabled).</summary>
    public const uint EventDefault = 0;

    /// <summary>CUDA_ERROR_OUT_OF_MEMORY.</summary>
    public const int ErrorOutOfMemory = 2;

    /// <summary>CU_EVENT_BLOCKING_SYNC: cuEventSynchronize sleeps instead of spinning.</summary>
    public const uint EventBlockingSync = 1;

    /// <summary>CU_EVENT_DISABLE_TIMING: an event only ordered against, cheaper to record and wait on.</summary>
    public const uint EventDisableTiming = 2;

    /// <summary>CU_STREAM_CAPTURE_MODE_THREAD_LOCAL.</summary>
    public const int CaptureModeThreadLocal = 1;

    /// <summary>CU_STREAM_CAPTURE_MODE_RELAXED: other threads' unsafe calls (allocations) stay legal while capturing.</summary>
    public const int CaptureModeRelaxed = 2;

    [LibraryImport(Lib)] public static partial int cuInit(uint flags);
    [LibraryImport(Lib)] public static partial int cuDriverGetVersion(out int version);
    [LibraryImport(Lib)] public static partial int cuGetErrorName(int error, out IntPtr name);
    [LibraryImport(Lib)] public static partial int cuGetErrorString(int error, out IntPtr text);

    [LibraryImport(Lib)] public static partial int cuDeviceGetCount(out int count);
    [LibraryImport(Lib)] public static partial int cuDeviceGet(out int device, int ordinal);
    [LibraryImport(Lib)] public static partial int cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(Lib)] public static partial int cuDeviceGetAttribute(out int value, int attribute, int device);
    [LibraryImport(Lib, EntryPoint = "cuDeviceTotalMem_v2")] public static partial int cuDeviceTotalMem(out nuint bytes, int device);

    [LibraryImport(Lib)] public static partial int cuDevicePrimaryCtxRetain(out IntPtr context, int device);
    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] public static partial int cuDevicePrimaryCtxRelease(int device);
    [LibraryImport(Lib)] public static partial int cuCtxSetCurrent(IntPtr context);
    [LibraryImport(Lib)] public static partial int cuCtxGetCurrent(out IntPtr context);
    [LibraryImport(Lib)] public static partial int cuCtxSynchronize();
    [LibraryImport(Lib)] public static partial int cuProfilerStart();
    [LibraryImport(Lib)] public static partial int cuProfilerStop();

    [LibraryImport(Lib, EntryPoint = "cuMemAlloc_v2")] public static partial int cuMemAlloc(out ulong pointer, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemFree_v2")] public static partial int cuMemFree(ulong pointer);
    [LibraryImport(Lib, EntryPoint = "cuMemAllocHost_v2")] public static partial int cuMemAllocHost(out IntPtr pointer, nuint bytes);
    [LibraryImport(Lib)] public static partial int cuMemFreeHost(IntPtr pointer);
    [LibraryImport(Lib, EntryPoint = "cuMemHostRegister_v2")] public static partial int cuMemHostRegister(void* pointer, nuint bytes, uint flags);
    [LibraryImport(Lib)] public static partial int cuMemHostUnregister(void* pointer);
    [LibraryImport(Lib, EntryPoint = "cuMemGetInfo_v2")] public static partial int cuMemGetInfo(out nuint free, out nuint total);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoDAsync_v2")] public static partial int cuMemcpyHtoDAsync(ulong destination, void* source, nuint bytes, IntPtr stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoHAsync_v2")] public static partial int cuMemcpyDtoHAsync(void* destination, ulong source, nuint bytes, IntPtr stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoDAsync_v2")] public static partial int cuMemcpyDtoDAsync(ulong destination, ulong source, nuint bytes, IntPtr stream);
    [LibraryImport(Lib)] public static partial int cuMemsetD32Async(ulong destination, uint value, nuint count, IntPtr stream);

    [LibraryImport(Lib)] public static partial int cuStreamCreate(out IntPtr stream, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuStreamDestroy_v2")] public static partial int cuStreamDestroy(IntPtr stream);
    [LibraryImport(Lib)] public static partial int cuStreamSynchronize(IntPtr stream);
    [LibraryImport(Lib)] public static partial int cuStreamWaitEvent(IntPtr stream, IntPtr evt, uint flags);

    [LibraryImport(Lib)] public static partial int cuEventCreate(out IntPtr evt, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuEventDestroy_v2")] public static partial int cuEventDestroy(IntPtr evt);
    [LibraryImport(Lib)] public static partial int cuEventRecord(IntPtr evt, IntPtr stream);
    [LibraryImport(Lib)] public static partial int cuEventSynchronize(IntPtr evt);
    [LibraryImport(Lib)] public static partial int cuEventElapsedTime(out float milliseconds, IntPtr start, IntPtr end);

    [LibraryImport(Lib)] public static partial int cuModuleLoadData(out IntPtr module, void* image);
    [LibraryImport(Lib)] public static partial int cuModuleUnload(IntPtr module);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial int cuModuleGetFunction(out IntPtr function, IntPtr module, string name);
    [LibraryImport(Lib)] public static partial int cuFuncSetAttribute(IntPtr function, int attribute, int value);

    // Tensor maps for the copy engine (TMA, SM 9.0+; the driver has had this entry point since CUDA 12.0).
    public const int TensorMapBfloat16 = 9;     // CU_TENSOR_MAP_DATA_TYPE_BFLOAT16
    public const int TensorMapInterleaveNone = 0;
    public const int TensorMapSwizzle128B = 3;  // CU_TENSOR_MAP_SWIZZLE_128B
    public const int TensorMapL2Promotion256B = 3;
    public const int TensorMapOobFillZeros = 0; // CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE: out-of-bounds elements read as zeros

    /// <summary>Fills a 128-byte CUtensorMap (<paramref name="map"/>, 64-byte aligned) for a tiled copy.</summary>
    [LibraryImport(Lib)]
    public static partial int cuTensorMapEncodeTiled(void* map, int dataType, uint rank, ulong globalAddress, ulong* globalDim, ulong* globalStrides,
        uint* boxDim, uint* elementStrides, int interleave, int swizzle, int l2Promotion, int oobFill);

    /// <summary>CUlaunchConfig: the grid, block, shared memory and stream of a launch, and its attributes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct LaunchConfig
    {
        public uint GridX, GridY, GridZ, BlockX, BlockY, BlockZ, SharedBytes;
        public IntPtr Stream, Attributes;
        public uint AttributeCount;
    }

    /// <summary>CUlaunchAttribute (72 bytes): an attribute's id, then its value, a 64-byte union of which only an int is used here.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 72)]
    public struct LaunchAttribute
    {
        [FieldOffset(0)] public int Id;
        [FieldOffset(8)] public int Value;
    }

    /// <summary>
    /// CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION: with value 1 the kernel may start before the previous kernel in
    /// the stream has finished (it waits for it itself, with <c>griddepcontrol.wait</c>).
    /// </summary>
    public const int LaunchAttributeProgrammaticStreamSerialization = 6;

    /// <summary>A launch with attributes (CUDA 12.0+).</summary>
    [LibraryImport(Lib)] public static partial int cuLaunchKernelEx(LaunchConfig* config, IntPtr function, void** parameters, void** extra);

    /// <summary>How many clusters of a kernel with compile-time cluster dimensions can be resident at once (CUDA 12.0+).</summary>
    [LibraryImport(Lib)] public static partial int cuOccupancyMaxActiveClusters(out int clusters, IntPtr function, LaunchConfig* config);

    [LibraryImport(Lib)]
    public static partial int cuLaunchKernel(IntPtr function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedBytes, IntPtr stream, void** parameters, void** extra);

    [LibraryImport(Lib, EntryPoint = "cuStreamBeginCapture_v2")] public static partial int cuStreamBeginCapture(IntPtr stream, int mode);
    [LibraryImport(Lib)] public static partial int cuStreamEndCapture(IntPtr stream, out IntPtr graph);
    [LibraryImport(Lib)] public static partial int cuGraphInstantiateWithFlags(out IntPtr graphExec, IntPtr graph, ulong flags);
    [LibraryImport(Lib)] public static partial int cuGraphLaunch(IntPtr graphExec, IntPtr stream);
    [LibraryImport(Lib, EntryPoint = "cuGraphExecUpdate_v2")] public static unsafe partial int cuGraphExecUpdate(IntPtr graphExec, IntPtr graph, byte* resultInfo);
    [LibraryImport(Lib)] public static partial int cuGraphExecDestroy(IntPtr graphExec);
    [LibraryImport(Lib)] public static partial int cuGraphDestroy(IntPtr graph);
    [LibraryImport(Lib)] public static partial int cuGraphGetNodes(IntPtr graph, IntPtr* nodes, nuint* count);
    [LibraryImport(Lib)] public static partial int cuGraphNodeGetType(IntPtr node, out int type);
    [LibraryImport(Lib, EntryPoint = "cuGraphKernelNodeGetParams_v2")] public static partial int cuGraphKernelNodeGetParams(IntPtr node, byte* parameters);
    [LibraryImport(Lib)] public static partial int cuGraphMemcpyNodeGetParams(IntPtr node, byte* parameters);

    public const int GraphNodeKernel = 0, GraphNodeMemcpy = 1;
}
