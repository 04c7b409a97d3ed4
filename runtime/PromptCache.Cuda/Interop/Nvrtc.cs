using System.Runtime.InteropServices;

namespace PromptCache.Cuda.Interop;

/// <summary>NVRTC: compiles CUDA C source to a cubin (or PTX) for one GPU architecture at run time.</summary>
internal static unsafe partial class Nvrtc
{
    private const string Lib = CudaLibraryNames.Nvrtc;

    [LibraryImport(Lib)] public static partial int nvrtcVersion(out int major, out int minor);
    [LibraryImport(Lib)] public static partial IntPtr nvrtcGetErrorString(int result);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int nvrtcCreateProgram(out IntPtr program, string source, string name, int headerCount, IntPtr headers, IntPtr includeNames);
    [LibraryImport(Lib)] public static partial int nvrtcDestroyProgram(ref IntPtr program);
    [LibraryImport(Lib)] public static partial int nvrtcCompileProgram(IntPtr program, int optionCount, byte** options);
    [LibraryImport(Lib)] public static partial int nvrtcGetProgramLogSize(IntPtr program, out nuint size);
    [LibraryImport(Lib)] public static partial int nvrtcGetProgramLog(IntPtr program, byte* log);
    [LibraryImport(Lib)] public static partial int nvrtcGetCUBINSize(IntPtr program, out nuint size);
    [LibraryImport(Lib)] public static partial int nvrtcGetCUBIN(IntPtr program, byte* cubin);
    [LibraryImport(Lib)] public static partial int nvrtcGetPTXSize(IntPtr program, out nuint size);
    [LibraryImport(Lib)] public static partial int nvrtcGetPTX(IntPtr program, byte* ptx);
}
